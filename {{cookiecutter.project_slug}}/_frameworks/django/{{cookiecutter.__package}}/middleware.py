"""Middleware every request passes first: security headers, JSON errors, probes and the Host check."""

import logging
from collections.abc import Callable

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, JsonResponse

from . import views
from .headers import SECURITY_HEADERS

log = logging.getLogger(__name__)
Handler = Callable[[HttpRequest], HttpResponse]

# Probes answer whatever the Host header says: a kubelet probe sends the pod's IP, which
# no ALLOWED_HOSTS list can know in advance. They reveal nothing and change nothing.
PROBES: dict[str, Handler] = {"/health": views.health, "/ready": views.ready}


def security_headers(get_response: Handler) -> Handler:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        for name, value in SECURITY_HEADERS:
            response[name] = value
        return response

    return middleware


# Django answers these with an HTML page or an empty body; the service answers JSON everywhere.
ERRORS = {404: "Not Found", 405: "Method Not Allowed"}


def json_errors(get_response: Handler) -> Handler:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if response.status_code in ERRORS and response.get("Content-Type") != "application/json":
            allow = response.get("Allow")
            response = JsonResponse({"detail": ERRORS[response.status_code]}, status=response.status_code)
            if allow:
                response["Allow"] = allow
        return response

    return middleware


def probes_and_hosts(get_response: Handler) -> Handler:
    """Probes skip the Host check; everything else must name an allowed host.

    Django would log a rejected Host as an ERROR with a traceback, per request: an
    attacker's scan fills the log. Here it is one WARNING line and a 400.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None:
            return probe(request)
        try:
            request.get_host()
        except DisallowedHost as error:
            log.warning("rejected: %s", error)
            return JsonResponse({"detail": "Bad Request"}, status=400)
        return get_response(request)

    return middleware
