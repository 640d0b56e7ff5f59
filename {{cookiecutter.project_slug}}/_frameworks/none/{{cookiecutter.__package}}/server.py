"""How the container serves the app: http.server, threads in one process.

WEB_CONCURRENCY does not apply (one process); each request gets a thread.
SIGTERM stops accepting connections, gives in-flight requests up to
GRACEFUL_TIMEOUT seconds to finish, then exits 0.
"""

import logging
import signal
import socket
import threading
from http.server import ThreadingHTTPServer

from .app import Handler, access_log
from .config import Settings

log = logging.getLogger(__name__)


class Server(ThreadingHTTPServer):
    """A threading server that knows how many requests are in flight."""

    # Daemon threads: a stuck request cannot keep the process alive past the grace period.
    daemon_threads = True
    block_on_close = False
    # socketserver's default backlog is 5: bursts of new connections would wait for SYN retries.
    request_queue_size = 128

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._in_flight = 0
        self._idle = threading.Condition()

    def process_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:
        # Counted here, in the accepting thread, so a stop cannot miss a request just accepted.
        with self._idle:
            self._in_flight += 1
        super().process_request(request, client_address)

    def process_request_thread(self, request: socket.socket, client_address: tuple[str, int]) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is in flight; False if the timeout came first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)


def default_workers(cpus: int) -> int:
    return 1


def serve(server: Server, graceful_timeout: float) -> None:
    """Serve until SIGTERM or SIGINT, let in-flight requests finish, then close."""

    def stop(signum: int, frame: object) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        # shutdown() waits for serve_forever() to return, which runs in this
        # (main) thread, so it must be called from another one.
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with server:
        # Check for shutdown every 0.1 s (the default 0.5 s would make every stop slower).
        server.serve_forever(poll_interval=0.1)
        if not server.wait_idle(graceful_timeout):
            log.warning("requests still running after %ss; exiting anyway", graceful_timeout)


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    access_log.setLevel(logging.INFO if settings.access_log else logging.WARNING)


def run(settings: Settings) -> int:
    configure_logging(settings)
    server = Server(("0.0.0.0", settings.port), Handler)  # noqa: S104 - a container listens on all interfaces
    log.info("listening on port %d", settings.port)
    serve(server, settings.graceful_timeout)
    return 0
