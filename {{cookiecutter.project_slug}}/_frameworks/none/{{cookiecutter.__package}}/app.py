"""HTTP endpoints of the service, on the standard library alone."""

import json
import logging
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

from . import SERVICE_NAME, __version__, config

log = logging.getLogger(__name__)
# One line per request; server.py turns it on only with ACCESS_LOG=1.
access_log = logging.getLogger(f"{__name__}.access")


def index() -> dict[str, str]:
    return {"service": SERVICE_NAME, "version": __version__}


def health() -> dict[str, str]:
    return {"status": "ok"}


ROUTES: dict[str, Callable[[], dict[str, str]]] = {"/": index, "/health": health}


class Handler(BaseHTTPRequestHandler):
    server_version = SERVICE_NAME

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        route = ROUTES.get(path)
        if path == "/debug/sleep" and config.debug_endpoints_enabled():
            self.debug_sleep(parse_qs(query).get("seconds", [None])[0])
        elif route is None:
            self.send_json(HTTPStatus.NOT_FOUND, {"detail": "Not Found"})
        else:
            self.send_json(HTTPStatus.OK, route())

    def debug_sleep(self, seconds: str | None) -> None:
        try:
            delay = config.debug_sleep_seconds(seconds)
        except ValueError:
            self.send_json(HTTPStatus.BAD_REQUEST, {"detail": "seconds must be a number"})
            return
        time.sleep(delay)
        self.send_json(HTTPStatus.OK, {"slept": delay})

    def send_json(self, status: HTTPStatus, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        access_log.info('%s "%s" %s %s', self.address_string(), self.requestline, code, size)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
        # Everything http.server logs besides the requests: malformed requests, timeouts.
        log.warning("%s %s", self.address_string(), format % args)
