"""HTTP endpoints of the service, on the standard library alone.

The handler is strict: a request that is not plainly well-formed HTTP/1.x is refused
rather than guessed at, since a guess that differs from a proxy's is how requests get
smuggled. Errors never echo what the client sent: each is the standard reason phrase,
as JSON. The server (server.py) reads the request head before a handler thread runs.
"""

import io
import json
import logging
import re
from collections.abc import Callable
from email.parser import Parser
from email.utils import formatdate
from http import HTTPStatus
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler

from . import SERVICE_NAME, __version__
from .headers import SECURITY_HEADERS

log = logging.getLogger(__name__)
# One line per request; server.py turns it on only with ACCESS_LOG=1.
access_log = logging.getLogger(f"{__name__}.access")

# What a client may send. The app takes no body, so a large declared one is refused outright.
MAX_HEAD = 16 * 1024  # request line and headers, in bytes
MAX_HEADERS = 100
MAX_TARGET = 8 * 1024
MAX_BODY = 1024 * 1024
ALLOWED_METHODS = ("GET", "HEAD")

# RFC 9112: single spaces in the request line, a token before each header's colon.
TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
REQUEST_LINE = re.compile(rb"(" + TOKEN + rb") ([!-~]+) HTTP/1\.[0-9]")
FIELD_LINE = re.compile(TOKEN + rb":[\t\x20-\x7e\x80-\xff]*")
HEAD_END = re.compile(rb"\r?\n\r?\n")  # bare LF line ends are accepted, as http.server does
BARE_CR = re.compile(rb"\r[^\n]")  # RFC 9112: invalid, since parsers disagree on where it ends a line
NOT_IN_REQUEST_LINE = re.compile(rb"[^!-~ \r\n]")  # control and non-ASCII bytes
DIGITS = re.compile(rb"[0-9]+")
# Client text reaches the logs only with control characters escaped: no forged log lines.
ESCAPES = str.maketrans({c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))})


def index() -> dict[str, str]:
    return {"service": SERVICE_NAME, "version": __version__}


def health() -> dict[str, str]:
    return {"status": "ok"}


def ready() -> dict[str, str]:
    # Nothing to wait for (no database, no cache): a process that answers is ready.
    return {"status": "ready"}


ROUTES: dict[str, Callable[[], dict[str, str]]] = {"/": index, "/health": health, "/ready": ready}


def head_end(data: bytes, start: int = 0) -> int:
    """Where the request head in `data` ends (just past its blank line), or -1 if not yet."""
    found = HEAD_END.search(data, start)
    return found.end() if found else -1


def request_line_problem(line: bytes) -> HTTPStatus | None:
    """Why a request line (without its line end) must be refused, or None."""
    match = REQUEST_LINE.fullmatch(line)
    # Includes HTTP/0.9's "GET /path" (no version) and other versions: 400 rather than 505,
    # since a 5xx says the server failed, and would page someone for a client's garbage.
    if match is None:
        return HTTPStatus.BAD_REQUEST
    return HTTPStatus.REQUEST_URI_TOO_LONG if len(match[2]) > MAX_TARGET else None


def head_problem(data: bytes) -> HTTPStatus | None:
    """Why the request head at the start of `data` must be refused, or None if it is fine."""
    end = head_end(data)
    if end < 0:
        return HTTPStatus.BAD_REQUEST
    request_line, *fields = [line.removesuffix(b"\r") for line in data[:end].split(b"\n")][:-2]
    needs_host = not request_line.endswith(b"/1.0")  # HTTP/1.1 requires a Host header
    return request_line_problem(request_line) or fields_problem(fields, needs_host)


def fields_problem(fields: list[bytes], needs_host: bool) -> HTTPStatus | None:
    if len(fields) > MAX_HEADERS:
        return HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
    if not all(FIELD_LINE.fullmatch(field) for field in fields):
        return HTTPStatus.BAD_REQUEST  # no colon, space before it, a folded line, control characters
    values: dict[bytes, list[bytes]] = {}
    for field in fields:
        name, _, value = field.partition(b":")
        values.setdefault(name.lower(), []).append(value.strip(b" \t"))
    hosts = values.get(b"host", [])
    if len(hosts) > 1 or (needs_host and not hosts):
        return HTTPStatus.BAD_REQUEST
    return content_length_problem(values.get(b"content-length", []))


def content_length_problem(values: list[bytes]) -> HTTPStatus | None:
    """Content-Length must be one non-negative integer (repeating it is allowed), at most MAX_BODY."""
    items = {item.strip(b" \t") for value in values for item in value.split(b",")}
    if not all(DIGITS.fullmatch(item) for item in items):
        return HTTPStatus.BAD_REQUEST
    lengths = {item.lstrip(b"0") or b"0" for item in items}
    if len(lengths) > 1:  # which of them frames the body? A proxy may have picked another.
        return HTTPStatus.BAD_REQUEST
    # Compared by digit count first: int() refuses numbers of more than 4300 digits.
    if any(len(n) > len(str(MAX_BODY)) or int(n) > MAX_BODY for n in lengths):
        return HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    return None


def error_body(status: HTTPStatus) -> dict[str, object]:
    return {"detail": status.phrase}


def error_response(status: HTTPStatus, to_head: bool = False) -> bytes:
    """A whole error answer, as Handler.send_error writes it, for refusals made before a handler runs."""
    body = json.dumps(error_body(status)).encode()
    lines = [
        f"HTTP/1.0 {status.value} {status.phrase}",
        f"Date: {formatdate(usegmt=True)}",
        *(f"{name}: {value}" for name, value in SECURITY_HEADERS),
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if to_head else body)


class Prefixed(io.RawIOBase):
    """A readable stream that yields `prefix` first, then what `rest` yields."""

    def __init__(self, prefix: bytes, rest: io.BufferedReader) -> None:
        super().__init__()
        self._prefix = memoryview(prefix)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if not self._prefix:  # readinto1: what is there, rather than waiting for a full buffer
            return self._rest.readinto1(buffer)
        count = min(len(buffer), len(self._prefix))
        buffer[:count] = self._prefix[:count]
        self._prefix = self._prefix[count:]
        return count

    def close(self) -> None:
        self._rest.close()
        super().close()


class Handler(BaseHTTPRequestHandler):
    """GET and HEAD on ROUTES, answered in JSON.

    One request per connection (http.server's HTTP/1.0 protocol_version, kept on purpose):
    a client's next request comes on a new connection, which the server vets again.
    """

    # Seconds any read or write may take: a client that stops reading cannot keep a thread.
    timeout = 30

    def setup(self) -> None:
        # The server hands over the socket with the bytes it read while the head arrived;
        # reading goes on from those bytes, then from the socket.
        self.request, self.received = self.request
        super().setup()
        self.rfile = io.BufferedReader(Prefixed(self.received, self.rfile))

    def parse_request(self) -> bool:
        # Not http.server's parser: it answers HTTP/0.9, splits on any whitespace, drops lines
        # without a colon and stops at 99 headers. The head is checked strictly, then parsed.
        self.command, self.request_version, self.close_connection = None, "HTTP/1.0", True
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        problem = head_problem(self.received)
        if problem is not None:
            self.send_error(problem)
            return False
        self.command, self.path, self.request_version = self.requestline.split(" ")
        self.headers = self.read_headers()
        return self.method_allowed()

    def read_headers(self) -> HTTPMessage:
        """The header lines (checked already), read up to the blank line, so rfile is at the body."""
        lines = []
        while (line := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
            lines.append(line)
        return Parser(_class=self.MessageClass).parsestr(b"".join(lines).decode("iso-8859-1"))

    def method_allowed(self) -> bool:
        """True for GET and HEAD; any other method is answered here (405 on a known path)."""
        if self.command in ALLOWED_METHODS:
            return True
        path = self.path.partition("?")[0]
        if path in ROUTES:
            status, allow = HTTPStatus.METHOD_NOT_ALLOWED, ", ".join(ALLOWED_METHODS)
            self.send_json(status, error_body(status), ("Allow", allow))
        else:
            self.send_json(HTTPStatus.NOT_FOUND, error_body(HTTPStatus.NOT_FOUND))
        return False

    def do_GET(self) -> None:
        route = ROUTES.get(self.path.partition("?")[0])
        if route is None:
            self.send_json(HTTPStatus.NOT_FOUND, error_body(HTTPStatus.NOT_FOUND))
        else:
            self.send_json(HTTPStatus.OK, route())

    def do_HEAD(self) -> None:
        self.do_GET()  # send_json leaves the body out

    def send_json(self, status: HTTPStatus, body: dict[str, object], *headers: tuple[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_response(self, code: int, message: str | None = None) -> None:
        # http.server's adds a Server header naming the Python version, and lets `message`
        # (client text, in some errors) into the status line: here, the standard phrase only.
        self.log_request(code)
        self.send_response_only(code)
        self.send_header("Date", self.date_time_string())
        for name, value in SECURITY_HEADERS:
            self.send_header(name, value)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server's writes `message`, often the client's own request line, into an HTML page.
        status = HTTPStatus(code)
        self.log_error("code %d, message %s", code, message or status.phrase)
        self.send_json(status, error_body(status), ("Connection", "close"))

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        requestline = self.requestline.translate(ESCAPES)
        access_log.info('%s "%s" %s %s', self.address_string(), requestline, code, size)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
        # Everything http.server logs besides the requests: malformed requests, timeouts.
        log.warning("%s %s", self.address_string(), (format % args).translate(ESCAPES))
