import asyncio
import json
from dataclasses import dataclass, field

import pytest

from {{ cookiecutter.__package }} import SERVICE_NAME, __version__
from {{ cookiecutter.__package }}.app import MAX_BODY_BYTES, Message, app
from {{ cookiecutter.__package }}.headers import SECURITY_HEADERS


class Headers(dict[str, str]):
    """Response headers, looked up whatever the case of the name."""

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())


@dataclass
class Response:
    status_code: int
    headers: Headers = field(default_factory=Headers)
    content: bytes = b""

    def json(self) -> object:
        return json.loads(self.content)


class Client:
    """Calls the ASGI app directly, as granian would, and collects what it sends."""

    def request(self, method: str, path: str, headers: dict[str, str] | None = None) -> Response:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        }
        response = Response(0)

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                response.status_code = message["status"]
                response.headers.update((k.decode(), v.decode()) for k, v in message["headers"])
            else:
                response.content += message.get("body", b"")

        asyncio.run(app(scope, receive, send))
        return response

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def head(self, path: str) -> Response:
        return self.request("HEAD", path)

    def post(self, path: str) -> Response:
        return self.request("POST", path)


client = Client()
{% set json = "response.json()" %}
{% set body = "content" %}
{% include "client_tests.py.j2" %}


@pytest.mark.parametrize("path", ["/", "/health", "/ready", "/no-such-page"])
def test_head_has_the_headers_of_get_and_no_body(path: str) -> None:
    get, head = client.get(path), client.head(path)
    assert head.status_code == get.status_code
    assert head.headers == get.headers
    assert int(head.headers["content-length"]) == len(get.content) > 0
    assert head.content == b""


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get"])
def test_other_methods_on_known_paths_are_405_with_allow(method: str) -> None:
    response = client.request(method, "/health")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(("length", "status"), [(MAX_BODY_BYTES, 200), (MAX_BODY_BYTES + 1, 413)])
def test_a_declared_body_over_the_limit_is_413(length: int, status: int) -> None:
    response = client.request("GET", "/health", {"Content-Length": str(length)})
    assert response.status_code == status


def test_lifespan_starts_and_stops() -> None:
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent = []

    async def receive() -> Message:
        return next(messages)

    async def send(message: Message) -> None:
        sent.append(message["type"])

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
