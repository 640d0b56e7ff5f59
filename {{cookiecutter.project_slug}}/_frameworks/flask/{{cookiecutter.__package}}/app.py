"""HTTP endpoints of the service."""

import time

from flask import Flask, abort, request

from . import SERVICE_NAME, __version__, config

app = Flask(__name__)


@app.get("/")
def index() -> dict[str, str]:
    return {"service": SERVICE_NAME, "version": __version__}


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


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
