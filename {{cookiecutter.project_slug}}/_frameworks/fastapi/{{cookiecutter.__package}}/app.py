"""HTTP endpoints of the service."""

import asyncio

from fastapi import FastAPI, HTTPException

from . import SERVICE_NAME, __version__, config

app = FastAPI(title=SERVICE_NAME, version=__version__)


@app.get("/")
async def index() -> dict[str, str]:
    return {"service": SERVICE_NAME, "version": __version__}


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/debug/sleep", include_in_schema=False)
async def debug_sleep(seconds: float = 1.0) -> dict[str, float]:
    if not config.debug_endpoints_enabled():
        raise HTTPException(status_code=404, detail="Not Found")
    try:
        delay = config.debug_sleep_seconds(seconds)
    except ValueError as error:
        raise HTTPException(status_code=400, detail=str(error)) from None
    await asyncio.sleep(delay)
    return {"slept": delay}
