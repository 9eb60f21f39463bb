"""Base classes every API view builds on: JSON in and out, rate-limited per client."""

from __future__ import annotations

from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from salonbook.ratelimit import enforce


class ApiView(APIView):
    """A JSON-only API view counted against the per-client ``api`` limit.

    Set ``rate_limit_scope = None`` for views that must never be limited
    (health checks). ``rate_limit_scopes_by_method`` names further scopes a
    method counts against (``{"POST": ("bookings",)}``): they are counted with
    ``api`` in the same round trip to the counter store, and a later
    ``enforce()`` of the same scope in the view counts nothing again.
    """

    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    rate_limit_scope: str | None = "api"
    rate_limit_scopes_by_method: dict[str, tuple[str, ...]] = {}

    def perform_authentication(self, request) -> None:
        # The limit is counted right after authentication, so a token user is
        # counted as that user, and before permissions, so refused requests
        # count too. A failed authentication still counts, by address.
        try:
            super().perform_authentication(request)
        finally:
            if self.rate_limit_scope:
                extra = self.rate_limit_scopes_by_method.get(request.method or "", ())
                enforce(request, scope=(self.rate_limit_scope, *extra))
