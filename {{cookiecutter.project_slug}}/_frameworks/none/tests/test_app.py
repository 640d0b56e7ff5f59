import json
import logging
import os
import signal
import threading
import time
import urllib.error
import urllib.request

import pytest

from {{ cookiecutter.__package }} import SERVICE_NAME, __version__
from {{ cookiecutter.__package }}.app import Handler, access_log
from {{ cookiecutter.__package }}.server import Server, serve


@pytest.fixture(scope="module")
def base_url():
    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a loopback http URL
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_index_names_the_service(base_url: str) -> None:
    assert get(base_url + "/") == (200, {"service": SERVICE_NAME, "version": __version__})
    assert SERVICE_NAME == "{{ cookiecutter.project_slug }}"


def test_health_is_ok(base_url: str) -> None:
    assert get(base_url + "/health") == (200, {"status": "ok"})


def test_unknown_path_is_404(base_url: str) -> None:
    assert get(base_url + "/no-such-page")[0] == 404


def test_sigterm_stops_the_server_cleanly() -> None:
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
    assert time.monotonic() - started < 5
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


def test_debug_sleep_is_off_by_default(base_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEBUG_ENDPOINTS", raising=False)
    assert get(base_url + "/debug/sleep?seconds=0")[0] == 404


def test_debug_sleep_answers_after_the_delay(base_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEBUG_ENDPOINTS", "1")
    started = time.monotonic()
    assert get(base_url + "/debug/sleep?seconds=0.2") == (200, {"slept": 0.2})
    assert time.monotonic() - started >= 0.2
    assert get(base_url + "/debug/sleep?seconds=soon")[0] == 400


def test_requests_go_to_the_access_log(base_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=access_log.name):
        get(base_url + "/health")
    lines = [record.getMessage() for record in caplog.records if record.name == access_log.name]
    assert any('"GET /health HTTP/1.1" 200' in line for line in lines), lines
