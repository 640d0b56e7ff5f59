import contextlib
import json
import logging
import os
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator

import pytest

from {{ cookiecutter.__package }} import SERVICE_NAME, __version__
from {{ cookiecutter.__package }}.app import Handler, access_log
from {{ cookiecutter.__package }}.headers import SECURITY_HEADERS
from {{ cookiecutter.__package }}.server import Server, serve


@contextlib.contextmanager
def running(handler: type[Handler] = Handler, **options: float) -> Iterator[Server]:
    """A server on a free loopback port, serving from a background thread."""
    server = Server(("127.0.0.1", 0), handler, **options)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running() as server:
        yield server


@pytest.fixture(scope="module")
def base_url(server: Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a loopback http URL
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def request(target: str = "/health", method: str = "GET", headers: str = "Host: test\r\n") -> bytes:
    return f"{method} {target} HTTP/1.1\r\n{headers}\r\n".encode("latin-1")


def exchange(server: Server, data: bytes, timeout: float = 5) -> bytes:
    """Send raw bytes on a new connection and read until the server closes it."""
    with socket.create_connection(server.server_address, timeout=timeout) as connection:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # closed before the end
            connection.sendall(data)
        return read_to_end(connection)


def read_to_end(connection: socket.socket) -> bytes:
    chunks = []
    with contextlib.suppress(ConnectionResetError):
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def parse(answer: bytes) -> tuple[str, dict[str, str], bytes]:
    """The status line, the headers (names in lower case) and the body of a raw answer."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    fields = [line.split(": ", 1) for line in lines]
    return status_line, {name.lower(): value for name, value in fields}, body


def status_of(answer: bytes) -> int:
    return int(parse(answer)[0].split(" ")[1])


def wait_until(condition: Callable[[], bool], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def slow_clients(server: Server, count: int) -> list[socket.socket]:
    """Connections that have sent part of a request head, and no more yet."""
    clients = []
    for _ in range(count):
        client = socket.create_connection(server.server_address, timeout=5)
        client.sendall(b"GET /health HTTP/1.1\r\nHost: slow\r\n")
        clients.append(client)
    return clients


@pytest.fixture
def file_descriptors() -> Iterator[None]:
    """Room for a few hundred sockets at both ends (macOS allows 256 open files by default)."""
    resource = pytest.importorskip("resource")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2048 if hard == resource.RLIM_INFINITY else min(2048, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_index_names_the_service(base_url: str) -> None:
    assert get(base_url + "/") == (200, {"service": SERVICE_NAME, "version": __version__})
    assert SERVICE_NAME == "{{ cookiecutter.project_slug }}"


def test_health_is_ok(base_url: str) -> None:
    assert get(base_url + "/health") == (200, {"status": "ok"})


def test_ready_is_ready(base_url: str) -> None:
    assert get(base_url + "/ready") == (200, {"status": "ready"})


def test_unknown_path_is_404(base_url: str) -> None:
    assert get(base_url + "/no-such-page") == (404, {"detail": "Not Found"})


@pytest.mark.parametrize("target", ["/", "/health", "/ready", "/no-such-page"])
def test_head_answers_the_status_and_headers_without_a_body(server: Server, target: str) -> None:
    get_status, get_headers, get_body = parse(exchange(server, request(target)))
    head_status, head_headers, head_body = parse(exchange(server, request(target, "HEAD")))
    assert head_status == get_status
    assert head_body == b"" and get_body != b""
    assert head_headers.pop("date") and get_headers.pop("date")
    assert head_headers == get_headers
    assert int(head_headers["content-length"]) == len(get_body)


def test_a_head_request_refused_before_its_handler_gets_no_body_either(server: Server) -> None:
    status_line, headers, body = parse(exchange(server, request("/" + "a" * 20000, "HEAD")))
    assert status_line.startswith("HTTP/1.0 414 ")
    assert int(headers["content-length"]) > 0
    assert body == b""


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "get"])
@pytest.mark.parametrize("target", ["/", "/health", "/ready?now=1"])
def test_other_methods_on_known_paths_are_405(server: Server, method: str, target: str) -> None:
    status_line, headers, body = parse(exchange(server, request(target, method)))
    assert status_line == "HTTP/1.0 405 Method Not Allowed"
    assert headers["allow"] == "GET, HEAD"
    assert json.loads(body) == {"detail": "Method Not Allowed"}


def test_other_methods_on_unknown_paths_are_404(server: Server) -> None:
    assert status_of(exchange(server, request("/no-such-page", "POST"))) == 404


@pytest.mark.parametrize("data", [b"GET /health\r\n", b"GET /health\r\n\r\n"], ids=["line", "line+blank"])
def test_http_09_is_refused_with_a_status_line(server: Server, data: bytes) -> None:
    # HTTP/0.9 is one line and no headers: the answer must not wait for the header deadline.
    started = time.monotonic()
    status_line, _, body = parse(exchange(server, data, timeout=2))
    assert status_line == "HTTP/1.0 400 Bad Request"
    assert json.loads(body) == {"detail": "Bad Request"}
    assert time.monotonic() - started < 1


MALFORMED = {
    "no colon": "Host: test\r\nNo colon here\r\n",
    "space before colon": "Host : test\r\n",
    "folded line": "Host: test\r\nX-Folded: a\r\n b\r\n",
    "control character": "Host: test\r\nX-Value: a\x00b\r\n",
    "no Host in HTTP/1.1": "Accept: */*\r\n",
    "two Hosts": "Host: test\r\nHost: other\r\n",
    "Content-Length abc": "Host: test\r\nContent-Length: abc\r\n",
    "Content-Length -1": "Host: test\r\nContent-Length: -1\r\n",
    "Content-Length +1": "Host: test\r\nContent-Length: +1\r\n",
    "Content-Length empty": "Host: test\r\nContent-Length:\r\n",
    "Content-Length in unicode digits": "Host: test\r\nContent-Length: \xb2\r\n",
    "conflicting Content-Lengths": "Host: test\r\nContent-Length: 5\r\nContent-Length: 6\r\n",
    "conflicting Content-Length list": "Host: test\r\nContent-Length: 5, 6\r\n",
}


@pytest.mark.parametrize("headers", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_headers_are_400(server: Server, headers: str) -> None:
    assert parse(exchange(server, request(headers=headers)))[0] == "HTTP/1.0 400 Bad Request"


@pytest.mark.parametrize(
    "line",
    [b"GET  /health HTTP/1.1", b"GET /health HTTP/1.1 extra", b"GET /health HTTP/1", b"GET /\x7f HTTP/1.1"],
)
def test_malformed_request_lines_are_400(server: Server, line: bytes) -> None:
    assert status_of(exchange(server, line + b"\r\nHost: test\r\n\r\n")) == 400


HOPELESS = {
    "bare CR in the line": b"GET /health HTTP/1.1\rHost: test\r\r\r",
    "bare CR in a header": b"GET /health HTTP/1.1\r\nHost: te\rst\r\n",
    "TLS handshake": b"\x16\x03\x01\x02\x00",
}


@pytest.mark.parametrize("data", HOPELESS.values(), ids=HOPELESS.keys())
def test_a_head_that_can_only_be_wrong_is_refused_before_it_ends(server: Server, data: bytes) -> None:
    started = time.monotonic()
    assert parse(exchange(server, data, timeout=2))[0] == "HTTP/1.0 400 Bad Request"
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("version", ["2.0", "0.9", "9.9"])
def test_other_http_versions_are_400_not_a_server_error(server: Server, version: str) -> None:
    data = f"GET /health HTTP/{version}\r\nHost: test\r\n\r\n".encode()
    assert parse(exchange(server, data))[0] == "HTTP/1.0 400 Bad Request"


@pytest.mark.parametrize("lengths", ["0\r\nContent-Length: 0", "7, 7", "007\r\nContent-Length: 7"])
def test_repeating_one_content_length_is_fine(server: Server, lengths: str) -> None:
    answer = exchange(server, request(headers=f"Host: test\r\nContent-Length: {lengths}\r\n") + b"7 bytes")
    assert status_of(answer) == 200


@pytest.mark.parametrize(("length", "status"), [("1048576", 200), ("1048577", 413), ("9" * 5000, 413)])
def test_a_declared_body_over_1_mib_is_413(server: Server, length: str, status: int) -> None:
    # The body itself is never sent: the server decides on the declared length alone.
    answer = exchange(server, request(headers=f"Host: test\r\nContent-Length: {length}\r\n"))
    assert status_of(answer) == status


@pytest.mark.parametrize(("size", "status"), [(8 * 1024, 404), (8 * 1024 + 1, 414), (20 * 1024, 414)])
def test_a_request_target_over_8_kib_is_414(server: Server, size: int, status: int) -> None:
    assert status_of(exchange(server, request("/" + "a" * (size - 1)))) == status


def test_a_head_over_16_kib_is_431(server: Server) -> None:
    assert status_of(exchange(server, request(headers="Host: test\r\nX-Big: " + "a" * 16000 + "\r\n"))) == 200
    answer = exchange(server, request(headers="Host: test\r\nX-Big: " + "a" * (16 * 1024) + "\r\n"))
    assert parse(answer)[0] == "HTTP/1.0 431 Request Header Fields Too Large"


def test_more_than_100_header_lines_is_431(server: Server) -> None:
    hundred = "Host: test\r\n" + "".join(f"X-{n}: {n}\r\n" for n in range(99))
    assert status_of(exchange(server, request(headers=hundred))) == 200
    assert status_of(exchange(server, request(headers=hundred + "X-One-More: 1\r\n"))) == 431


def test_errors_do_not_echo_what_the_client_sent(server: Server) -> None:
    answer = exchange(server, b"GET /<script>alert(1)</script> HTTP/1.1 spare\r\nHost: test\r\n\r\n")
    status_line, _, body = parse(answer)
    assert status_line == "HTTP/1.0 400 Bad Request"
    assert body == b'{"detail": "Bad Request"}'
    assert b"script" not in answer and b"spare" not in answer


ANSWERS = {
    "200": request(),
    "HEAD": request(method="HEAD"),
    "404": request("/no-such-page"),
    "405": request(method="POST"),
    "400": request(headers="Host: test\r\nNo colon\r\n"),
    "413": request(headers="Host: test\r\nContent-Length: 2000000\r\n"),
    "414 from the loop": request("/" + "a" * 20000),
    "431 from the loop": request(headers="Host: test\r\nX-Big: " + "a" * 20000 + "\r\n"),
}


@pytest.mark.parametrize("data", ANSWERS.values(), ids=ANSWERS.keys())
def test_every_answer_has_the_security_headers_a_date_and_no_server(server: Server, data: bytes) -> None:
    _, headers, _ = parse(exchange(server, data))
    for name, value in SECURITY_HEADERS:
        assert headers.get(name.lower()) == value, name
    assert "date" in headers
    assert "server" not in headers


def test_a_head_arriving_in_pieces_is_served(server: Server) -> None:
    with socket.create_connection(server.server_address, timeout=5) as connection:
        for piece in (b"GET /hea", b"lth HTTP/1.1\r\nHo", b"st: test\r", b"\n\r", b"\n"):
            connection.sendall(piece)
            time.sleep(0.05)
        assert parse(read_to_end(connection))[2] == b'{"status": "ok"}'


def test_bare_line_feeds_are_accepted(server: Server) -> None:
    assert status_of(exchange(server, b"GET /health HTTP/1.1\nHost: test\n\n")) == 200


def test_bytes_read_with_the_head_reach_the_handler() -> None:
    class Echo(Handler):
        def do_GET(self) -> None:  # noqa: N802 - overrides Handler.do_GET
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_json(200, {"body": body.decode()})

    with running(Echo) as server, socket.create_connection(server.server_address, timeout=5) as connection:
        # The first part of the body travels with the head, so the server reads it too.
        connection.sendall(request(headers="Host: test\r\nContent-Length: 10\r\n") + b"hello")
        time.sleep(0.1)
        connection.sendall(b"world")
        assert json.loads(parse(read_to_end(connection))[2]) == {"body": "helloworld"}


def test_the_handler_sees_all_100_headers() -> None:
    class Count(Handler):
        def do_GET(self) -> None:  # noqa: N802 - overrides Handler.do_GET
            self.send_json(200, {"headers": len(self.headers), "last": self.headers["X-98"]})

    hundred = "Host: test\r\n" + "".join(f"X-{n}: {n}\r\n" for n in range(99))
    with running(Count) as server:
        answer = exchange(server, request(headers=hundred))
    assert json.loads(parse(answer)[2]) == {"headers": 100, "last": "98"}


def test_a_slow_head_is_closed_at_the_deadline_however_it_trickles() -> None:
    with running(header_timeout=0.5) as server, slow_clients(server, 1)[0] as client:
        started = time.monotonic()
        client.settimeout(0.1)
        answer = None
        while answer is None and time.monotonic() - started < 3:
            try:
                answer = client.recv(1)
            except TimeoutError:  # still open: send another header line, as a slow client does
                with contextlib.suppress(OSError):
                    client.sendall(b"X-Slow: 1\r\n")
            except ConnectionResetError:
                answer = b""
        elapsed = time.monotonic() - started
        assert answer == b"", "the server answered a request whose head never ended"
        assert 0.3 < elapsed < 1.5, elapsed  # the deadline counts from the connection, not per line
        wait_until(lambda: server.open_connections() == 0)


@pytest.mark.usefixtures("file_descriptors")
def test_health_answers_at_once_while_200_slow_clients_wait() -> None:
    with running() as server:
        threads = threading.active_count()
        clients = slow_clients(server, 200)
        try:
            wait_until(lambda: server.open_connections() == 200)
            for client in clients:  # each sends one more header line, and still no end
                client.sendall(b"X-Slow: 1\r\n")
            started = time.monotonic()
            assert get(f"http://127.0.0.1:{server.server_address[1]}/health") == (200, {"status": "ok"})
            assert time.monotonic() - started < 1
            assert threading.active_count() <= threads  # no thread for a connection in waiting
        finally:
            for client in clients:
                client.close()


def test_connections_beyond_the_cap_are_closed_at_once() -> None:
    with running(max_connections=3) as server:
        clients = slow_clients(server, 3)
        try:
            wait_until(lambda: server.open_connections() == 3)
            assert exchange(server, request(), timeout=2) == b""  # closed without an answer
            clients.pop().close()
            wait_until(lambda: server.open_connections() == 2)
            assert status_of(exchange(server, request())) == 200
        finally:
            for client in clients:
                client.close()


def test_at_most_threads_requests_run_at_once() -> None:
    class Slow(Handler):
        def do_GET(self) -> None:  # noqa: N802 - overrides Handler.do_GET
            time.sleep(0.3)
            super().do_GET()

    with running(Slow, threads=2) as server:
        started = time.monotonic()
        clients = [socket.create_connection(server.server_address, timeout=5) for _ in range(6)]
        for client in clients:
            client.sendall(request("/health"))
        answers = [read_to_end(client) for client in clients]
        elapsed = time.monotonic() - started
        for client in clients:
            client.close()
    assert [status_of(answer) for answer in answers] == [200] * 6
    assert 0.85 < elapsed < 3, elapsed  # 6 requests of 0.3 s, two at a time: three rounds


def test_sigterm_stops_an_idle_server_within_a_second() -> None:
    server = Server(("127.0.0.1", 0), Handler)
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    started = time.monotonic()
    try:
        serve(server, graceful_timeout=5)  # returns once the signal handler has shut the server down
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
    assert time.monotonic() - started < 1
    assert server.socket.fileno() == -1  # closed


def test_in_flight_requests_finish_before_the_server_closes() -> None:
    class Slow(Handler):
        def do_GET(self) -> None:  # noqa: N802 - overrides Handler.do_GET
            time.sleep(0.5)
            super().do_GET()

    server = Server(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    results = []
    url = f"http://127.0.0.1:{server.server_address[1]}/health"
    client = threading.Thread(target=lambda: results.append(get(url)))
    client.start()
    time.sleep(0.1)  # the request is now in flight
    server.shutdown()
    assert server.wait_idle(timeout=5)
    server.server_close()
    client.join(timeout=5)
    assert results == [(200, {"status": "ok"})]


def test_requests_go_to_the_access_log(base_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=access_log.name):
        get(base_url + "/health")
    lines = [record.getMessage() for record in caplog.records if record.name == access_log.name]
    assert any('"GET /health HTTP/1.1" 200' in line for line in lines), lines


def test_the_handler_alone_refuses_a_bad_head_and_logs_it_escaped(caplog: pytest.LogCaptureFixture) -> None:
    # The server's loop refuses this request line before any handler sees it; the handler
    # checks the head again, and logs client text with its control characters escaped.
    ours, theirs = socket.socketpair()
    with ours, theirs, caplog.at_level(logging.INFO):
        Handler((ours, b"GET /\x1b[31mred HTTP/1.1\r\nHost: test\r\n\r\n"), ("127.0.0.1", 0), None)
        ours.close()
        answer = read_to_end(theirs)
    assert parse(answer)[0] == "HTTP/1.0 400 Bad Request"
    messages = [record.getMessage() for record in caplog.records]
    assert any("\\x1b[31mred" in message for message in messages), messages
    assert not any("\x1b" in message for message in messages), messages
