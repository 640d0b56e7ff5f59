"""HTTP endpoints of the service."""

import time

from django.http import Http404, HttpRequest, HttpResponseBadRequest, JsonResponse
from django.views.decorators.http import require_GET

from . import SERVICE_NAME, __version__, config


@require_GET
def index(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"service": SERVICE_NAME, "version": __version__})


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
def debug_sleep(request: HttpRequest) -> JsonResponse | HttpResponseBadRequest:
    if not config.debug_endpoints_enabled():
        raise Http404
    try:
        delay = config.debug_sleep_seconds(request.GET.get("seconds"))
    except ValueError:
        return HttpResponseBadRequest("seconds must be a number")
    time.sleep(delay)
    return JsonResponse({"slept": delay})
