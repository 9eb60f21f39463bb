"""Health, liveness and metrics endpoints: each one call and a render."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from monitoring import prometheus
from monitoring.health import health, http_status
from monitoring.metrics.snapshot import snapshot
from salonbook.api.authentication import ApiTokenAuthentication, SessionCookieAuthentication
from salons.permissions import IsAdmin


@never_cache
@require_safe
def health_view(request: HttpRequest) -> JsonResponse:
    """Readiness for load balancers and people: 503 only when the database is down."""
    report = health()
    return JsonResponse(report, status=http_status(report))


@never_cache
@require_safe
def live_view(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches no dependency, so a Redis blip restarts nothing."""
    return JsonResponse({"status": "alive"})


class PrometheusRenderer(BaseRenderer):
    """Prometheus' text format, for ``?format=prometheus`` or ``Accept: text/plain``."""

    media_type = "text/plain"
    format = "prometheus"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None) -> bytes:
        if isinstance(data, dict) and "error" in data:
            # A refused scrape: say why in plain text, not as metrics.
            error = data["error"]
            return f"{error.get('code', 'error')}: {error.get('message', '')}\n".encode()
        if isinstance(data, dict) and "requests" in data:
            return prometheus.render(data)
        return str(data).encode()


class FormatWinsNegotiation(DefaultContentNegotiation):
    """``?format=`` picks the renderer even when the Accept header names another."""

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        for renderer in renderers:
            if wanted and renderer.format == wanted:
                return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)


class MetricsView(APIView):
    """Every counter, rate and latency percentile, for admins and Prometheus."""

    # Token first, so an anonymous caller gets 401 with WWW-Authenticate.
    authentication_classes = [ApiTokenAuthentication, SessionCookieAuthentication]
    permission_classes = [IsAdmin]
    renderer_classes = [JSONRenderer, PrometheusRenderer]
    content_negotiation_class = FormatWinsNegotiation

    @extend_schema(
        summary="System metrics (admins only)",
        description=(
            "Counters, rates and p50/p95/p99 latency per route, as JSON; Prometheus' text format "
            "with ?format=prometheus or Accept: text/plain."
        ),
        parameters=[OpenApiParameter("format", str, enum=["json", "prometheus"], required=False)],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        data = snapshot()
        if request.accepted_renderer.format == "prometheus":
            return Response(data, content_type=prometheus.CONTENT_TYPE)
        return Response(data)
