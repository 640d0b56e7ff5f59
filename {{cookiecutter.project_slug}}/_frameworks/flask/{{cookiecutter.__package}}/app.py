"""HTTP endpoints of the service."""

from flask import Flask, Response

from . import SERVICE_NAME, __version__
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
