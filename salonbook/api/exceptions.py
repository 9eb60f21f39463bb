"""One error envelope for everything the API can answer with.

``{"error": {"code": str, "message": str, "details": {...}}}``: domain errors
keep their own code and status; DRF's and Django's errors get stable codes;
anything unexpected is logged and answers 500 with no trace.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults
from django_ratelimit.exceptions import Ratelimited
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from salonbook.errors import DomainError

logger = logging.getLogger("salonbook.api")

DEFAULT_RETRY_AFTER = 60
# Seconds a client should wait after the database was unreachable: a restart
# or fail-over takes a few seconds, not minutes.
DATABASE_RETRY_AFTER = 5

# DRF's exception classes -> (code, message) when DRF's own wording is not ours.
_DRF_CODES: dict[type[exceptions.APIException], tuple[str, str | None]] = {
    exceptions.ParseError: ("malformed_request", "The request body could not be read as JSON."),
    exceptions.NotAuthenticated: ("not_authenticated", "Log in, or send 'Authorization: Token <token>'."),
    exceptions.AuthenticationFailed: ("authentication_failed", None),
    exceptions.PermissionDenied: ("permission_denied", None),
    exceptions.NotFound: ("not_found", None),
    exceptions.MethodNotAllowed: ("method_not_allowed", None),
    exceptions.NotAcceptable: ("not_acceptable", None),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", None),
    exceptions.Throttled: ("rate_limited", None),
}


def envelope(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details if details is not None else {}}}


def _field_details(detail: Any) -> dict[str, Any]:
    """DRF validation errors as ``{field: [messages]}``; bare lists go under ``non_field_errors``."""
    if isinstance(detail, dict):
        return {str(field): _plain(errors) for field, errors in detail.items()}
    return {"non_field_errors": _plain(detail if isinstance(detail, list) else [detail])}


def _plain(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(k): _plain(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_plain(item) for item in detail]
    return str(detail)


def _rate_limited(exc: Ratelimited) -> Response:
    retry_after = int(getattr(exc, "retry_after", DEFAULT_RETRY_AFTER))
    details = {"retry_after": retry_after}
    if getattr(exc, "scope", None):
        details["scope"] = exc.scope
    response = Response(
        envelope("rate_limited", f"Too many requests; try again in {retry_after} seconds.", details),
        status=status.HTTP_429_TOO_MANY_REQUESTS,
    )
    response["Retry-After"] = str(retry_after)
    return response


def _database_unavailable(exc: Exception, context: dict[str, Any]) -> Response:
    """The database is down or restarting: 503, and nothing was changed."""
    view = context.get("view")
    logger.warning(
        "database unavailable",
        extra={"view": type(view).__name__ if view else None, "error": type(exc).__name__},
    )
    response = Response(_database_unavailable_envelope(), status=status.HTTP_503_SERVICE_UNAVAILABLE)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


def _database_unavailable_envelope() -> dict[str, Any]:
    return envelope(
        "service_unavailable",
        "The service is briefly unavailable; nothing was changed. Please try again in a few seconds.",
        {"retry_after": DATABASE_RETRY_AFTER},
    )


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's ``EXCEPTION_HANDLER``: every error, in the envelope."""
    set_rollback()
    if isinstance(exc, DomainError):
        return Response(envelope(exc.code, exc.message, exc.details), status=exc.status)
    # Ratelimited is a PermissionDenied: it must be matched first.
    if isinstance(exc, Ratelimited):
        return _rate_limited(exc)
    if isinstance(exc, (OperationalError, InterfaceError)):
        return _database_unavailable(exc, context)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, exceptions.ValidationError):
        return Response(
            envelope("invalid", "Some fields are not valid.", _field_details(exc.detail)),
            status=exc.status_code,
        )
    if isinstance(exc, exceptions.APIException):
        code, message = next(
            ((c, m) for cls, (c, m) in _DRF_CODES.items() if isinstance(exc, cls)),
            (str(exc.default_code), None),
        )
        response = Response(envelope(code, message or _plain(exc.detail)), status=exc.status_code)
        # NotAuthenticated carries the challenge, Throttled how long to wait.
        auth_header = getattr(exc, "auth_header", None)
        wait = getattr(exc, "wait", None)
        if auth_header:
            response["WWW-Authenticate"] = auth_header
        if wait:
            response["Retry-After"] = str(int(wait))
            response.data["error"]["details"] = {"retry_after": int(wait)}
        return response

    view = context.get("view")
    logger.error(
        "unhandled error in API view",
        extra={"view": type(view).__name__ if view else None, "error": type(exc).__name__},
        exc_info=exc,
    )
    return Response(
        envelope("server_error", "Something went wrong on our side; it has been logged."),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    """``handler404``: the envelope under /api/, Django's page elsewhere."""
    if _is_api(request):
        return JsonResponse(envelope("not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """``handler500``: errors raised outside a DRF view (middleware, URL
    resolving, the staff pages). The database down or restarting is 503 with
    ``Retry-After`` there too, not a 500: nothing was changed."""
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        return _database_unavailable_page(request)
    if _is_api(request):
        return JsonResponse(
            envelope("server_error", "Something went wrong on our side; it has been logged."), status=500
        )
    return defaults.server_error(request)


def _database_unavailable_page(request) -> HttpResponse:
    logger.warning("database unavailable", extra={"path": request.path, "error": type(sys.exc_info()[1]).__name__})
    if _is_api(request):
        response: HttpResponse = JsonResponse(_database_unavailable_envelope(), status=503)
    else:
        # Rendered without the request: its context (the logged-in user) would ask the database.
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response
