"""HTTP endpoints of the service."""

import time

from flask import Flask, Response, abort, request

from . import SERVICE_NAME, __version__, config
from .headers import SECURITY_HEADERS

app = Flask(__name__)
# The app takes no request bodies: anything larger than this is refused with 413.
app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024


@app.after_request
def security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


@app.get("/")
def index() -> dict[str, str]:
    return {"service": SERVICE_NAME, "version": __version__}


@app.get("/health")
def health() -> dict[str, str]:
    """The process answers: the liveness probe and Docker's HEALTHCHECK."""
    return {"status": "ok"}


@app.get("/ready")
def ready() -> dict[str, str]:
    """The service can take traffic: the readiness probe. Add checks of what it depends on."""
    return {"status": "ready"}


@app.get("/debug/sleep")
def debug_sleep() -> dict[str, float]:
    if not config.debug_endpoints_enabled():
        abort(404)
    try:
        delay = config.debug_sleep_seconds(request.args.get("seconds"))
    except ValueError:
        abort(400)
    time.sleep(delay)
    return {"slept": delay}
