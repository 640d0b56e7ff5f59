"""HTTP endpoints of the service: a plain ASGI application, no web framework.

granian parses HTTP, enforces the limits on request heads and hands this module
complete requests; here they are routed and answered with JSON. A route is an
async function in ROUTES that returns the status and the JSON body.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from . import SERVICE_NAME, __version__
from .headers import SECURITY_HEADERS

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Route = Callable[[Scope], Awaitable[tuple[int, object]]]

# The routes take no request bodies: a larger declared body is refused with 413.
MAX_BODY_BYTES = 1024 * 1024
METHODS = ("GET", "HEAD")


async def index(scope: Scope) -> tuple[int, object]:
    return 200, {"service": SERVICE_NAME, "version": __version__}


async def health(scope: Scope) -> tuple[int, object]:
    """The process answers: the liveness probe and Docker's HEALTHCHECK."""
    return 200, {"status": "ok"}


async def ready(scope: Scope) -> tuple[int, object]:
    """The service can take traffic: the readiness probe. Add checks of what it depends on."""
    return 200, {"status": "ready"}


ROUTES: dict[str, Route] = {"/": index, "/health": health, "/ready": ready}

HEADERS = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS]
ALLOW = [(b"allow", ", ".join(METHODS).encode())]


def declared_length(scope: Scope) -> int | None:
    """The request's Content-Length (granian has refused a malformed or conflicting one)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:  # "7, 7" repeats one length
                return int(value.split(b",")[0])
            except ValueError:
                return None
    return None


async def answer(scope: Scope) -> tuple[int, object, list[tuple[bytes, bytes]]]:
    """The status, the JSON body and any extra headers for one request."""
    length = declared_length(scope)
    if length is not None and length > MAX_BODY_BYTES:
        return 413, {"detail": "Content Too Large"}, []
    route = ROUTES.get(scope["path"])
    if route is None:
        return 404, {"detail": "Not Found"}, []
    if scope["method"] not in METHODS:
        return 405, {"detail": "Method Not Allowed"}, ALLOW
    status, body = await route(scope)
    return status, body, []


async def lifespan(receive: Receive, send: Send) -> None:
    """Start-up and shutdown: acquire and release what the routes share (none yet) here."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    status, body, extra = await answer(scope)
    content = json.dumps(body, separators=(",", ":")).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(content)).encode()),
        *extra,
        *HEADERS,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    # HEAD: the same status and headers, Content-Length included, and no body.
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else content})
