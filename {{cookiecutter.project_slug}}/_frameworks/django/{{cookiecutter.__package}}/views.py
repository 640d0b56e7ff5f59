"""HTTP endpoints of the service."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from . import SERVICE_NAME, __version__


@require_GET
def index(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"service": SERVICE_NAME, "version": __version__})


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})
