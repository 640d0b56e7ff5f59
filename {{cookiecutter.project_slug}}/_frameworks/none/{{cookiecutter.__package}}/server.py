"""How the container serves the app: http.server, threads in one process.

WEB_CONCURRENCY does not apply (one process); each request gets a thread.
SIGTERM stops accepting, lets in-flight requests finish, then exits 0.
"""

import logging
import signal
import threading
from http.server import ThreadingHTTPServer

from .app import Handler
from .config import Settings

log = logging.getLogger(__name__)


class Server(ThreadingHTTPServer):
    # Non-daemon request threads, joined on close: a stop waits for in-flight requests.
    daemon_threads = False
    block_on_close = True


def default_workers(cpus: int) -> int:
    return 1


def serve(server: Server) -> None:
    """Serve until SIGTERM or SIGINT, then finish in-flight requests and return."""

    def stop(signum: int, frame: object) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        # shutdown() waits for serve_forever() to return, which runs in this
        # (main) thread, so it must be called from another one.
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with server:
        server.serve_forever()


def run(settings: Settings) -> int:
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    server = Server(("0.0.0.0", settings.port), Handler)  # noqa: S104 - a container listens on all interfaces
    log.info("listening on port %d", settings.port)
    serve(server)
    return 0
