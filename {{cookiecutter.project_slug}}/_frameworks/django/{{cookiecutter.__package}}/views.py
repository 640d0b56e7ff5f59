"""HTTP endpoints of the service."""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from . import SERVICE_NAME, __version__


@require_safe
def index(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"service": SERVICE_NAME, "version": __version__})


@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """The process answers: the liveness probe and Docker's HEALTHCHECK."""
    return JsonResponse({"status": "ok"})


@require_safe
def ready(request: HttpRequest) -> JsonResponse:
    """The service can take traffic: the database answers (the readiness probe)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not ready"
        return JsonResponse({"status": "database unavailable"}, status=503)
    return JsonResponse({"status": "ready"})
