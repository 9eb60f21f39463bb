"""Request timing, request ids and per-route metrics, for every response.

First in ``MIDDLEWARE`` so the time it reports covers the whole stack.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from monitoring.context import accept_or_generate, set_request_id
from monitoring.metrics.recording import batched, record_request

logger = logging.getLogger("salonbook.requests")

UNMATCHED_ROUTE = "<unmatched>"
_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


@lru_cache(maxsize=1024)
def _readable_route(route: str) -> str:
    """``api/^bookings/(?P<reference>[^/.]+)/$`` -> ``/api/bookings/<reference>/``."""
    route = _NAMED_GROUP.sub(r"<\1>", route).replace("^", "").replace("$", "").replace("\\", "")
    return "/" + route.lstrip("/")


def route_of(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return UNMATCHED_ROUTE
    return _readable_route(match.route)


class _QueryTimer:
    """Adds up the current request's query time and count."""

    __slots__ = ("seconds", "count")

    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0


_current_timer: ContextVar[_QueryTimer | None] = ContextVar("salonbook_query_timer", default=None)


def _timed_execute(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
    timer = _current_timer.get()
    if timer is None:  # a query outside a request (a task, a command)
        return execute(sql, params, many, context)
    start = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        timer.seconds += time.perf_counter() - start
        timer.count += 1


def install_query_timer(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: time every query on the connection for
    the request it serves. Installed once per connection, not per request."""
    if _timed_execute not in connection.execute_wrappers:
        connection.execute_wrappers.append(_timed_execute)


class RequestMonitoringMiddleware:
    """Server-Timing, X-Request-ID, slow-request warnings and request metrics."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        request_id = accept_or_generate(request.headers.get("X-Request-ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        # Cleared on request_finished, not here: Django logs 4xx/5xx responses
        # after the middleware returns, and those lines need the id too.
        set_request_id(request_id)
        timer = _QueryTimer()
        timer_token = _current_timer.set(timer)
        # Everything counted while handling the request is handed to the
        # metrics store in one go, with the request's own numbers.
        with batched():
            try:
                response = self.get_response(request)
            finally:
                _current_timer.reset(timer_token)
            elapsed = time.perf_counter() - start
            route = route_of(request)
            response["X-Request-ID"] = request_id
            response["Server-Timing"] = (
                f'total;dur={elapsed * 1000:.2f}, db;dur={timer.seconds * 1000:.2f};desc="{timer.count} queries"'
            )
            self._record(request, response, route, elapsed, timer)
        return response

    def _record(
        self, request: HttpRequest, response: HttpResponse, route: str, elapsed: float, timer: _QueryTimer
    ) -> None:
        try:
            record_request(method=request.method or "", route=route, status=response.status_code, seconds=elapsed)
        except Exception:  # counting must never cost a customer their response
            logger.exception("could not record request metrics")
        if elapsed * 1000 >= settings.SLOW_REQUEST_MS:
            logger.warning(
                "slow request",
                extra=self._fields(request, response, route, elapsed, timer),
            )
        elif settings.LOG_REQUESTS:
            logger.info("request", extra=self._fields(request, response, route, elapsed, timer))

    @staticmethod
    def _fields(
        request: HttpRequest, response: HttpResponse, route: str, elapsed: float, timer: _QueryTimer
    ) -> dict[str, Any]:
        # The route pattern, never the path: paths carry references and slugs.
        return {
            "method": request.method,
            "route": route,
            "status": response.status_code,
            "duration_ms": round(elapsed * 1000, 2),
            "db_ms": round(timer.seconds * 1000, 2),
            "db_queries": timer.count,
        }
