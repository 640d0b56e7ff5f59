"""HTTP endpoints of the service."""

from flask import Flask

from . import SERVICE_NAME, __version__

app = Flask(__name__)


@app.get("/")
def index() -> dict[str, str]:
    return {"service": SERVICE_NAME, "version": __version__}


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
