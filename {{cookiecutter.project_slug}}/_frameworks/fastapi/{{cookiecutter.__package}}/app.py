"""HTTP endpoints of the service."""

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import SERVICE_NAME, __version__, config
from .headers import SECURITY_HEADERS

# The interactive docs: off unless API_DOCS=1 (config.py says why).
API_DOCS = config.api_docs_from_env()
DOCS_PATHS = ("/docs", "/redoc", "/openapi.json")

app = FastAPI(
    title=SERVICE_NAME,
    version=__version__,
    docs_url="/docs" if API_DOCS else None,
    redoc_url="/redoc" if API_DOCS else None,
    openapi_url="/openapi.json" if API_DOCS else None,
    # A redirect to the slash-less path would take its host from the Host header.
    redirect_slashes=False,
)


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response (plain ASGI: cheaper than BaseHTTPMiddleware)."""

    ALL = tuple((name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS)
    # The docs pages load Swagger UI or ReDoc from a CDN, which the CSP would block.
    DOCS = tuple(header for header in ALL if header[0] != b"content-security-policy")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.DOCS if scope["path"].startswith(DOCS_PATHS) else self.ALL

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


app.add_middleware(SecurityHeaders)


@app.api_route("/", methods=["GET", "HEAD"])
async def index() -> dict[str, str]:
    return {"service": SERVICE_NAME, "version": __version__}


@app.api_route("/health", methods=["GET", "HEAD"])
async def health() -> dict[str, str]:
    """The process answers: the liveness probe and Docker's HEALTHCHECK."""
    return {"status": "ok"}


@app.api_route("/ready", methods=["GET", "HEAD"])
async def ready() -> dict[str, str]:
    """The service can take traffic: the readiness probe. Add checks of what it depends on."""
    return {"status": "ready"}
