"""HTTP endpoints of the service."""

from fastapi import FastAPI

from . import SERVICE_NAME, __version__

app = FastAPI(title=SERVICE_NAME, version=__version__)


@app.get("/")
async def index() -> dict[str, str]:
    return {"service": SERVICE_NAME, "version": __version__}


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
