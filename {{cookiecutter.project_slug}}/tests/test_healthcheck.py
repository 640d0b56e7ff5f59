import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from {{ cookiecutter.__package }}.healthcheck import probe


class Answer(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    httpd = HTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_healthy_when_health_answers_200(server: HTTPServer) -> None:
    assert probe(server.server_address[1])


def test_unhealthy_on_an_error_status(server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Answer, "status", 503)
    assert not probe(server.server_address[1])


def test_unhealthy_when_nothing_listens(server: HTTPServer) -> None:
    port = server.server_address[1]
    server.shutdown()
    server.server_close()
    assert not probe(port, timeout=1)
