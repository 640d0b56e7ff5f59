"""How the container serves the app: one selector loop for request heads, a pool of handler threads.

The thread that runs serve_forever() accepts connections and reads every request head
as it arrives, for all connections at once (selectors). Only a connection whose head
is complete goes to one of THREADS handler threads. So a slow or idle client costs a
socket and at most 16 KiB, never a thread; it is closed if its head has not arrived
within HEADER_TIMEOUT seconds, and past MAX_CONNECTIONS new connections are closed at
once. WEB_CONCURRENCY does not apply (one process). SIGTERM stops accepting
connections, gives in-flight requests up to GRACEFUL_TIMEOUT seconds, then exits 0.
"""

import functools
import logging
import queue
import selectors
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import HTTPServer

from .app import (
    BARE_CR,
    MAX_HEAD,
    NOT_IN_REQUEST_LINE,
    Handler,
    access_log,
    error_response,
    head_end,
    request_line_problem,
)
from .config import Settings

log = logging.getLogger(__name__)

THREADS = 16  # handler threads, when not told otherwise; run() takes THREADS from the environment
HEADER_TIMEOUT = 10.0  # seconds a client has for its whole request line and headers
MAX_CONNECTIONS = 1024  # heads arriving plus requests being handled
FD_HEADROOM = 64  # file descriptors kept for everything but client connections


@dataclass(eq=False)
class Connection:
    """A client whose request head is still arriving."""

    sock: socket.socket
    address: tuple[str, int]
    deadline: float
    data: bytearray = field(default_factory=bytearray)
    line_checked: bool = False
    refused: bool = False  # answered with an error; now only waiting for the client to hang up


class WorkerPool:
    """A fixed set of daemon threads that run jobs from a queue.

    Reused threads: starting one per connection made memory creep under sustained load.
    Not concurrent.futures.ThreadPoolExecutor: Python joins its threads at exit, so a
    request still running after the grace period would hold the process until SIGKILL.
    """

    def __init__(self, size: int) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._size = size
        for number in range(size):
            threading.Thread(target=self._work, name=f"handler-{number}", daemon=True).start()

    def submit(self, job: Callable[[], None]) -> None:
        self._jobs.put(job)

    def close(self) -> None:
        """End each thread once the jobs already queued are done (without waiting for it)."""
        for _ in range(self._size):
            self._jobs.put(None)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            job()


class Server(HTTPServer):
    """An HTTP server that gives a connection a thread only once its request head is complete."""

    # socketserver's default backlog is 5: bursts of new connections would wait for SYN retries.
    request_queue_size = 128

    def __init__(
        self,
        server_address: tuple[str, int],
        handler: type[Handler],
        *,
        threads: int = THREADS,
        header_timeout: float = HEADER_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.header_timeout = header_timeout
        self.max_connections = max_connections
        self._workers = WorkerPool(threads)  # before super(): a failed bind calls server_close()
        self._arriving: dict[socket.socket, Connection] = {}  # oldest first, so by deadline
        self._in_flight = 0
        self._idle = threading.Condition()
        self._stop = False
        self._stopped = threading.Event()  # as in socketserver: shutdown() waits for serve_forever()
        self._full = False
        super().__init__(server_address, handler)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve until shutdown() is called; `poll_interval` bounds how long that takes."""
        self._stopped.clear()
        self.socket.setblocking(False)
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self.socket, selectors.EVENT_READ)
                while not self._stop:
                    for key, _ in selector.select(self._timeout(poll_interval)):
                        if key.fileobj is self.socket:
                            self._accept(selector)
                        else:
                            self._read(selector, key.data)
                    self._expire(selector, time.monotonic())
                # Heads still arriving are dropped: the grace period is for requests received.
                self._expire(selector, float("inf"))
        finally:
            self._stop = False
            self._stopped.set()

    def shutdown(self) -> None:
        """Make serve_forever() return (call this from another thread) and wait until it has."""
        self._stop = True
        self._stopped.wait()

    def server_close(self) -> None:
        super().server_close()
        self._workers.close()

    def open_connections(self) -> int:
        """Connections whose head is still arriving or whose request is being handled."""
        return len(self._arriving) + self._in_flight

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is in flight; False if the timeout came first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        log.exception("error while handling a request from %s", client_address[0])

    def _timeout(self, poll_interval: float) -> float:
        if not self._arriving:
            return poll_interval
        first = next(iter(self._arriving.values()))
        return min(poll_interval, max(0.0, first.deadline - time.monotonic()))

    def _expire(self, selector: selectors.BaseSelector, now: float) -> None:
        while self._arriving:
            connection = next(iter(self._arriving.values()))
            if connection.deadline > now:
                return
            if not connection.refused:  # debug only: a slow-client flood must not flood the log too
                log.debug("%s sent no complete request head in time, closing", connection.address[0])
            self._close(selector, connection)

    def _accept(self, selector: selectors.BaseSelector) -> None:
        # All the kernel has queued, up to a backlog's worth: one select() per connection is
        # slow in a burst, and an endless loop could starve the connections already open.
        for _ in range(self.request_queue_size):
            try:
                sock, address = self.socket.accept()
            except BlockingIOError:
                return
            except OSError as error:  # the client gave up already, or no file descriptor left
                log.warning("accept failed: %s", error)
                return
            self._admit(selector, sock, address)

    def _admit(self, selector: selectors.BaseSelector, sock: socket.socket, address: tuple[str, int]) -> None:
        if self.open_connections() >= self.max_connections:
            # Closed at once rather than answered 503: an answer needs the request read first
            # (closing with it unread resets the connection, which can destroy the answer),
            # and that reading is the work the cap is there to bound. The client may retry.
            if not self._full:
                log.warning("%d connections open, the most allowed: closing new ones", self.max_connections)
            self._full = True
            sock.close()
            return
        self._full = False
        sock.setblocking(False)
        connection = Connection(sock, address, time.monotonic() + self.header_timeout)
        self._arriving[sock] = connection
        selector.register(sock, selectors.EVENT_READ, connection)

    def _read(self, selector: selectors.BaseSelector, connection: Connection) -> None:
        # Never past the head limit: a flood of bytes costs no more memory than that.
        size = 65536 if connection.refused else MAX_HEAD + 1 - len(connection.data)
        try:
            chunk = connection.sock.recv(size)
        except BlockingIOError:  # a spurious wake-up
            return
        except OSError:  # reset by the client
            chunk = b""
        if not chunk:
            self._close(selector, connection)
        elif not connection.refused:  # a refused connection's bytes are read only to be dropped
            connection.data += chunk
            self._check(selector, connection, len(connection.data) - len(chunk))

    def _check(self, selector: selectors.BaseSelector, connection: Connection, old_length: int) -> None:
        """Hand the connection over once its head is complete; refuse it as soon as it must be."""
        status = self._early_problem(connection, old_length)
        if status is None and 0 < head_end(connection.data, max(0, old_length - 3)) <= MAX_HEAD:
            self._hand_over(selector, connection)
            return
        if status is None and len(connection.data) > MAX_HEAD:
            # Without a line end so far, the request line alone is over the limit.
            too_long = HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, HTTPStatus.REQUEST_URI_TOO_LONG
            status = too_long[0] if connection.line_checked else too_long[1]
        if status is not None:
            self._refuse(selector, connection, status)

    @staticmethod
    def _early_problem(connection: Connection, old_length: int) -> HTTPStatus | None:
        """What is wrong already, in a head still arriving: its client need not wait for the deadline."""
        data = connection.data
        if BARE_CR.search(data, max(0, old_length - 1)):
            return HTTPStatus.BAD_REQUEST
        if connection.line_checked:
            return None
        line_end = data.find(b"\n", old_length)
        if line_end < 0:  # the line goes on; binary garbage (a TLS handshake, say) is refused now
            return HTTPStatus.BAD_REQUEST if NOT_IN_REQUEST_LINE.search(data, old_length) else None
        # Checked as soon as it is complete: HTTP/0.9 is a single line, with no head to wait for.
        connection.line_checked = True
        return request_line_problem(bytes(data[:line_end]).removesuffix(b"\r"))

    def _refuse(self, selector: selectors.BaseSelector, connection: Connection, status: HTTPStatus) -> None:
        log.warning("%s refused: %d %s", connection.address[0], status, status.phrase)
        answer = error_response(status, to_head=connection.data.startswith(b"HEAD "))
        connection.refused, connection.data = True, bytearray()
        try:
            # A few hundred bytes: they fit at once in a new connection's empty send buffer.
            connection.sock.send(answer)
            # Closing with the client's bytes unread would reset the connection and could destroy
            # the answer before it is read: end the answer, then drop what arrives until the
            # client hangs up too or its deadline passes.
            connection.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(selector, connection)

    def _hand_over(self, selector: selectors.BaseSelector, connection: Connection) -> None:
        selector.unregister(connection.sock)
        del self._arriving[connection.sock]
        connection.sock.setblocking(True)
        # Counted here, in the loop, so that a stop cannot miss a request just handed over.
        with self._idle:
            self._in_flight += 1
        job = functools.partial(self._handle, connection.sock, connection.address, bytes(connection.data))
        self._workers.submit(job)

    def _handle(self, sock: socket.socket, address: tuple[str, int], received: bytes) -> None:
        """In a handler thread: one request, then the connection is closed."""
        try:
            self.finish_request((sock, received), address)  # Handler.setup() unpacks the pair
        except Exception:
            self.handle_error(sock, address)
        finally:
            self.shutdown_request(sock)
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _close(self, selector: selectors.BaseSelector, connection: Connection) -> None:
        selector.unregister(connection.sock)
        del self._arriving[connection.sock]
        connection.sock.close()


def default_workers(cpus: int, memory_limit: int | None) -> int:
    return 1  # one process whatever the machine: THREADS handler threads serve the requests


def connection_cap(wanted: int = MAX_CONNECTIONS) -> int:
    """`wanted`, or fewer if the open-files limit (1024 in many containers) could not hold them."""
    try:
        import resource  # Unix only
    except ImportError:
        return wanted
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - FD_HEADROOM))


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
    server = Server(
        (settings.host, settings.port),
        Handler,
        threads=settings.threads,
        header_timeout=settings.header_timeout,
        max_connections=connection_cap(),
    )
    log.info("listening on port %d", settings.port)
    serve(server, settings.graceful_timeout)
    return 0
