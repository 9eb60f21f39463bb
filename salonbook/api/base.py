"""Base classes every API view builds on: JSON in and out, rate-limited per client."""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from salonbook.ratelimit import count


class JsonNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation with a shortcut for the usual request: no
    ``Accept`` header, ``*/*`` or ``application/json`` gets the JSON renderer
    without the header being parsed. Anything else (``text/csv``: 406,
    ``?format=``) goes through DRF's own rules, as before."""

    PLAIN_ACCEPTS = frozenset({"", "*/*", "application/json"})

    def select_renderer(self, request, renderers, format_suffix=None):
        first = renderers[0]
        if (
            format_suffix is None
            and first.media_type == "application/json"
            and request.META.get("HTTP_ACCEPT", "") in self.PLAIN_ACCEPTS
            # Not parsed: a query string that may hold ?format= takes DRF's way.
            and f"{self.settings.URL_FORMAT_OVERRIDE}=" not in request.META.get("QUERY_STRING", "")
        ):
            return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)


class ApiView(APIView):
    """A JSON-only API view counted against the per-client ``api`` limit.

    Set ``rate_limit_scope = None`` for views that must never be limited
    (health checks). ``rate_limit_scopes_by_method`` names further scopes a
    method counts against (``{"POST": ("bookings",)}``): they are counted with
    ``api`` in the same round trip to the counter store.
    """

    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    content_negotiation_class = JsonNegotiation
    rate_limit_scope: str | None = "api"
    rate_limit_scopes_by_method: dict[str, tuple[str, ...]] = {}

    def rate_limit_scopes(self, request) -> tuple[str, ...]:
        """The scopes ``request`` counts against (none for an unlimited view)."""
        if not self.rate_limit_scope:
            return ()
        return (self.rate_limit_scope, *self.rate_limit_scopes_by_method.get(request.method or "", ()))

    def perform_authentication(self, request) -> None:
        # The limit is counted right after authentication, so a token user is
        # counted as that user, and before permissions, so refused requests
        # count too. A failed authentication still counts, by address.
        try:
            super().perform_authentication(request)
        finally:
            count(request, self.rate_limit_scopes(request))
