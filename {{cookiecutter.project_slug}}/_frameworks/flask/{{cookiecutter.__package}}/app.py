"""HTTP endpoints of the service."""

import json

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response  # Flask's base: what an HTTPException's get_response() makes

from . import SERVICE_NAME, __version__
from .headers import SECURITY_HEADERS

app = Flask(__name__)
# The app takes no request bodies: anything larger than this is refused with 413.
app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024


@app.after_request
def security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


@app.errorhandler(HTTPException)
def json_error(error: HTTPException) -> Response:
    """Errors in the service's JSON shape, not Werkzeug's HTML page (Allow kept on a 405)."""
    response = error.get_response()
    response.set_data(json.dumps({"detail": error.name}))
    response.mimetype = "application/json"
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
