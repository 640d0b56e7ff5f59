"""Hostile HTTP: every framework's image, with the defaults a user gets, as an attacker meets it.

Slow clients, memory limits, oversized and malformed requests, a scanner's Host headers, bad
configuration. Each test asserts limits (statuses, seconds, MiB, log lines, OOM kills), not
only that the service did not crash. Traffic goes to the port published on 127.0.0.1 only;
every socket, load and wait is bounded in count and time. The tests that load the CPUs are
marked `load`, so tests/run runs them alone, after the rest.
"""

from __future__ import annotations

import ast
import contextlib
import re
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress

import pytest

from engine import (
    DEFAULT_VARIANTS,
    MIB,
    Container,
    Image,
    Images,
    Scratch,
    docker,
    every_framework,
    memory_bytes,
    require_engine,
    start,
    wrk,
)
from helpers import offering, readme_settings

pytestmark = [pytest.mark.docker, pytest.mark.hostile_http]
require_engine()

SLOW_SOCKETS = 200
SLOW_DRIP_SECONDS = 5  # each slow socket sends one more header line this often
SLOW_HEADER_TIMEOUT = 8  # HEADER_TIMEOUT given to the container in the slowloris test
PROBE_WITHIN = 1.0  # seconds for / and /health to answer while under attack
MALFORMED_WITHIN = 2.0  # seconds for any malformed request to be answered or closed
MALFORMED_MEMORY_GROWTH = 16 * MIB
ATTACK_MEMORY_GROWTH = 24 * MIB


# ---- raw HTTP ---------------------------------------------------------------------------------


def raw_request(port: int, data: bytes, timeout: float = 5.0) -> tuple[int | None, dict[str, str], bytes]:
    """Send bytes as they are; the status (None if the server closed without one), headers, body."""
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with contextlib.suppress(OSError):  # the server closed mid-send: it refused the rest
            sock.sendall(data)
        try:
            while chunk := sock.recv(65536):
                received += chunk
                if len(received) > 1_000_000:
                    break
        except OSError:
            pass
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return (int(status[1]) if status else None), headers, body


def get(port: int, path: str, host: str = "127.0.0.1", method: str = "GET") -> tuple[int | None, dict, bytes]:
    request = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    return raw_request(port, request.encode())


def oom_kills(container: Container) -> int:
    """OOM kills in the container's cgroup so far (v2 memory.events, or v1 memory.oom_control)."""
    script = "cat /sys/fs/cgroup/memory.events 2>/dev/null || cat /sys/fs/cgroup/memory/memory.oom_control"
    text = docker("exec", container.name, "sh", "-c", script).stdout
    found = re.search(r"^oom_kill (\d+)$", text, re.MULTILINE)
    assert found, text
    return int(found[1])


def security_headers(image: Image) -> dict[str, str]:
    """The generated project's SECURITY_HEADERS, read from its headers.py (lower-case names)."""
    tree = ast.parse((image.project / image.package / "headers.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "SECURITY_HEADERS":
            return {name.lower(): value for name, value in ast.literal_eval(node.value)}
    raise AssertionError("headers.py has no SECURITY_HEADERS")


# ---- slow clients -----------------------------------------------------------------------------


@contextmanager
def slow_clients(port: int, count: int) -> Iterator[list[socket.socket]]:
    """`count` sockets that each sent a request line and one header, and never finish."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=2)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            sockets.append(sock)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def drip(sockets: list[socket.socket]) -> None:
    """One more header line on every socket that is still open."""
    for sock in sockets:
        with suppress(OSError):
            sock.sendall(b"X-Slow: 1\r\n")


def closed_by_server(sock: socket.socket) -> bool:
    """True if the server has closed (or answered) the connection; never blocks."""
    sock.setblocking(False)
    try:
        sock.recv(1024, socket.MSG_PEEK)  # b"" at EOF, or an error response such as 408
    except BlockingIOError:
        return False  # still open, still waiting for the rest of the head
    except OSError:
        return True  # reset
    finally:
        sock.settimeout(2)
    return True


def timed_get(port: int, path: str) -> float:
    started = time.monotonic()
    status, _, _ = get(port, path)
    took = time.monotonic() - started
    assert status == 200, f"GET {path} under slowloris: {status} after {took:.2f} s"
    return took


@pytest.mark.load
@every_framework
def test_slow_clients_never_take_the_service_down(image: Image, scratch: Scratch) -> None:
    container, port = start(scratch, image, "--env", f"HEADER_TIMEOUT={SLOW_HEADER_TIMEOUT}")
    before = memory_bytes(container)
    worst = 0.0
    with slow_clients(port, SLOW_SOCKETS) as sockets:
        started = last_drip = time.monotonic()
        while time.monotonic() - started < SLOW_HEADER_TIMEOUT + 2 * SLOW_DRIP_SECONDS:
            worst = max(worst, timed_get(port, "/health"), timed_get(port, "/"))
            if time.monotonic() - last_drip >= SLOW_DRIP_SECONDS:
                drip(sockets)
                last_drip = time.monotonic()
            time.sleep(0.5)
        closed = sum(closed_by_server(sock) for sock in sockets)
        during = memory_bytes(container)
    health = (container.state().get("Health") or {}).get("Status")
    print(
        f"{image.variant}: worst probe {worst * 1000:.0f} ms with {SLOW_SOCKETS} slow sockets, "
        f"{closed} closed by the server, memory {before / MIB:.1f} -> {during / MIB:.1f} MiB"
    )
    assert worst < PROBE_WITHIN
    assert health == "healthy"
    # Dripping one line every 5 s never completes a head: the header timeout must close them all.
    assert closed == SLOW_SOCKETS, f"only {closed} of {SLOW_SOCKETS} slow sockets were closed"
    assert during - before < ATTACK_MEMORY_GROWTH


# ---- memory limits ----------------------------------------------------------------------------


@pytest.mark.load
@every_framework
def test_serves_load_under_a_128m_limit_without_errors_or_oom_kills(image: Image, scratch: Scratch) -> None:
    container, port = start(scratch, image, "--memory", "128m", "--memory-swap", "128m")
    result = wrk(port, 20, connections=32, path="/health")
    kills = oom_kills(container)
    print(f"{image.variant} --memory 128m: {result.requests_per_second:.0f} req/s, {kills} OOM kills")
    assert result.socket_errors == 0, result.output
    assert result.non_2xx == 0, result.output
    assert kills == 0
    assert (container.state().get("Health") or {}).get("Status") == "healthy"


@pytest.mark.load
@every_framework
def test_starts_and_stays_healthy_under_a_64m_limit(image: Image, scratch: Scratch) -> None:
    container, port = start(scratch, image, "--memory", "64m", "--memory-swap", "64m")
    result = wrk(port, 10, connections=16, path="/health")
    time.sleep(6)  # at least one more health check after the load
    kills, logs = oom_kills(container), container.logs()
    print(f"{image.variant} --memory 64m: {result.requests_per_second:.0f} req/s, {kills} OOM kills")
    assert result.socket_errors == 0, result.output
    assert kills == 0, logs
    assert (container.state().get("Health") or {}).get("Status") == "healthy", logs
    reasons = [line for line in logs.splitlines() if "memory limit" in line]
    assert len(reasons) == 1, logs


# ---- oversized and malformed requests ---------------------------------------------------------

HEAD = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
MALFORMED = {
    "100 KB header": HEAD + b"X-Big: " + b"a" * 100_000 + b"\r\n\r\n",
    "1000 headers": HEAD + b"".join(b"X-%d: a\r\n" % i for i in range(1000)) + b"\r\n",
    "50 MB header": HEAD + b"X-Big: " + b"a" * 50_000_000 + b"\r\n\r\n",
    "100 KB URL": b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "HTTP/0.9": b"GET /\r\n",
    "header without a colon": HEAD + b"NoColonHere\r\n\r\n",
    "Content-Length: abc": b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n",
    "conflicting Content-Length": (
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"
    ),
    "50 MB body declared": b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50000000\r\n\r\n"
    + b"a" * 1_000_000,
    "binary garbage": b"\x00\x01\x02\xff garbage\r\n\r\n",
    "unknown HTTP version": b"GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
    "CR without LF": b"GET / HTTP/1.1\rHost: 127.0.0.1\r\r\r",
}
# The request line and a header value an attacker controls: never echoed back.
ECHO_MARKER = b"cctest-echo-7f3a"


@every_framework
def test_oversized_and_malformed_requests_get_a_quick_4xx(image: Image, scratch: Scratch) -> None:
    container, port = start(scratch, image)
    before = memory_bytes(container)
    answers = {}
    for name, data in MALFORMED.items():
        started = time.monotonic()
        status, headers, body = raw_request(port, data)
        took = time.monotonic() - started
        answers[name] = status
        assert took < MALFORMED_WITHIN, f"{name}: {took:.2f} s"
        # A 4xx, or (for a request that is not HTTP at all) the connection closed: never 2xx or 5xx.
        assert status is None or 400 <= status < 500, f"{name}: {status} {headers} {body[:200]!r}"
    after = memory_bytes(container)
    print(f"{image.variant}: {answers}; memory {before / MIB:.1f} -> {after / MIB:.1f} MiB")
    for name in ("100 KB header", "1000 headers"):
        assert answers[name] == 431, answers
    assert answers["100 KB URL"] in {414, 431}, answers
    assert after - before < MALFORMED_MEMORY_GROWTH
    assert get(port, "/health")[0] == 200
    assert (container.state().get("Health") or {}).get("Status") == "healthy"


@every_framework
def test_errors_echo_nothing_and_name_no_server_version(image: Image, scratch: Scratch) -> None:
    _, port = start(scratch, image)
    for data in (
        b"GET /" + ECHO_MARKER + b" HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
        b"GET /" + ECHO_MARKER + b"\r\n",
        HEAD + ECHO_MARKER + b"\r\n\r\n",
    ):
        _, headers, body = raw_request(port, data)
        assert ECHO_MARKER not in body, body
        assert all(ECHO_MARKER.decode() not in value for value in headers.values()), headers
    for path in ("/", "/health", "/no-such-page"):
        _, headers, _ = get(port, path)
        assert not re.search(r"\d|python", headers.get("server", ""), re.IGNORECASE), headers


@every_framework
def test_every_response_carries_the_security_headers(image: Image, scratch: Scratch) -> None:
    _, port = start(scratch, image)
    expected = security_headers(image)
    assert {"x-content-type-options", "x-frame-options", "content-security-policy"} <= set(expected)
    for path, status in (("/", 200), ("/health", 200), ("/ready", 200), ("/no-such-page", 404)):
        got, headers, _ = get(port, path)
        assert got == status, (path, got)
        for name, value in expected.items():
            assert headers.get(name) == value, (path, name, headers)


@every_framework
def test_probes_answer_head(image: Image, scratch: Scratch) -> None:
    _, port = start(scratch, image)
    for path in ("/health", "/ready"):
        status, _, body = get(port, path, method="HEAD")
        assert (status, body) == (200, b""), path


# ---- logs and configuration -------------------------------------------------------------------


@every_framework
def test_a_clean_start_logs_no_error(image: Image, scratch: Scratch) -> None:
    container, _ = start(scratch, image)
    time.sleep(6)  # a health check or two
    logs = container.logs()
    assert not re.search(r"ERROR|Traceback|CRITICAL", logs), logs


# At least one bad value for every setting a generated README's Configuration table lists, for
# any framework. A setting listed there with no entry here fails the test: a new setting cannot
# go untested.
WEAK_SECRET_KEYS = ["too-short-to-sign-anything", "ab" * 40]  # under 50 characters; under 5 distinct
BAD_VALUES: dict[str, list[str]] = {
    "PORT": ["eighty", "65536"],
    "WEB_CONCURRENCY": ["0"],
    "THREADS": ["many"],
    "LOG_LEVEL": ["loud"],
    "GRACEFUL_TIMEOUT": ["-1"],
    "HEADER_TIMEOUT": ["0"],
    "ACCESS_LOG": ["sometimes"],
    "HOST": ["all"],
    "API_DOCS": ["maybe"],
    "DJANGO_DEBUG": ["maybe"],
    "RUN_MIGRATIONS": ["maybe"],
    "DJANGO_SECRET_KEY": WEAK_SECRET_KEYS,
    "DJANGO_ALLOWED_HOSTS": ["https://api.example.com", "api.example.com,bad host"],
    "DJANGO_DATABASE_PATH": ["/nonexistent/db.sqlite3"],
}


@every_framework
def test_every_setting_the_readme_lists_stops_the_container_with_one_line_when_bad(
    image: Image, scratch: Scratch
) -> None:
    listed = readme_settings(image.project)
    assert "PORT" in listed, "no Configuration table found in the generated README"
    untested = [name for name in listed if name not in BAD_VALUES]
    assert not untested, f"the README lists {untested} with no bad value in BAD_VALUES"

    def run(setting: tuple[str, str]) -> tuple[str, str, int, str]:
        name, value = setting
        result = scratch.run("--no-healthcheck", "--env", f"{name}={value}", image.tag)
        return name, value, result.returncode, result.stdout + result.stderr

    cases = [(name, value) for name in listed for value in BAD_VALUES[name]]
    with ThreadPoolExecutor(max_workers=4) as pool:  # each run is a second or two of waiting
        results = list(pool.map(run, cases))
    for name, value, exit_code, output in results:
        lines = output.strip().splitlines()
        assert exit_code == 2, (name, value, exit_code, lines)
        assert len(lines) == 1, (name, value, lines)
        assert "configuration error" in lines[0] and name in lines[0], (name, value, lines)
        assert "Traceback" not in output, (name, value, output)
        if name == "DJANGO_SECRET_KEY":  # a key never reaches the logs, not even a weak one
            assert value not in output, lines


def test_every_bad_value_belongs_to_a_setting_some_readme_lists(images: Images) -> None:
    """No dead entries: each variable in BAD_VALUES is in some framework's Configuration table."""
    listed = {name for variant in DEFAULT_VARIANTS for name in readme_settings(images.project(variant))}
    assert set(BAD_VALUES) <= listed, set(BAD_VALUES) - listed


# ---- framework specifics ----------------------------------------------------------------------


def having(setting: str) -> list:
    """The default variants of the frameworks whose own README documents `setting`."""
    return [v for v in DEFAULT_VARIANTS if v.framework in offering(setting)]


SCAN_REQUESTS = 300


@pytest.mark.parametrize("image", having("DJANGO_ALLOWED_HOSTS"), ids=str, indirect=True)
def test_probes_answer_any_host_and_a_bad_host_is_one_warning(image: Image, scratch: Scratch) -> None:
    container, port = start(scratch, image)
    assert get(port, "/health", host="10.1.2.3:8000")[0] == 200  # what a kubelet probe sends
    assert get(port, "/ready", host="10.1.2.3:8000")[0] == 200
    baseline = len(container.logs().splitlines())
    for _ in range(SCAN_REQUESTS):
        assert get(port, "/", host="evil.example")[0] == 400
    new = container.logs().splitlines()[baseline:]
    assert "Traceback" not in "\n".join(new)
    assert len(new) <= SCAN_REQUESTS, f"{len(new)} log lines for {SCAN_REQUESTS} rejected requests"
    assert all(line.startswith("WARNING") and "evil.example" in line for line in new), new[:5]


@pytest.mark.parametrize("image", having("RUN_MIGRATIONS"), ids=str, indirect=True)
def test_failed_migrations_are_one_line_and_a_non_zero_exit(image: Image, scratch: Scratch) -> None:
    result = scratch.run(
        "--no-healthcheck",
        "--env",
        "RUN_MIGRATIONS=1",
        "--env",
        # The directory exists (so the setting is valid), but UID 10001 cannot write in it.
        "DJANGO_DATABASE_PATH=/app/db.sqlite3",
        image.tag,
    )
    output = result.stdout + result.stderr
    errors = [line for line in output.splitlines() if "ERROR" in line]
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    assert len(errors) == 1 and "RUN_MIGRATIONS" in errors[0], output


@pytest.mark.parametrize("image", having("API_DOCS"), ids=str, indirect=True)
@pytest.mark.parametrize(("api_docs", "status"), [(None, 404), ("1", 200)])
def test_api_docs_follow_api_docs(image: Image, scratch: Scratch, api_docs: str | None, status: int) -> None:
    _, port = start(scratch, image, *(["--env", f"API_DOCS={api_docs}"] if api_docs else []))
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert get(port, path)[0] == status, path
    # A trailing slash is not redirected: a redirect would build its Location from the Host header.
    status_slash, headers, _ = get(port, "/health/", host="evil.example")
    assert status_slash == 404 and "location" not in headers
