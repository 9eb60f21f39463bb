"""Routes for the error-envelope tests: views that raise what real views can meet."""

from collections.abc import Callable
from functools import partial

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import include, path
from django_ratelimit.exceptions import Ratelimited
from rest_framework.exceptions import Throttled
from rest_framework.response import Response

from salonbook import errors
from salonbook.api.base import ApiView

RAISES: dict[str, Callable[[], Exception]] = {
    "runtime": lambda: RuntimeError("secret internals: token=abc123"),
    "permission": lambda: PermissionDenied(),
    "http404": lambda: Http404(),
    "ratelimited": lambda: Ratelimited(),
    "throttled": lambda: Throttled(wait=17),
    **{cls.__name__: partial(cls, details={"field": ["why"]}) for cls in errors.DomainError.__subclasses__()},
}


class RaisingView(ApiView):
    rate_limit_scope = None

    def get(self, request, what: str):
        raise RAISES[what]()


class FineView(ApiView):
    rate_limit_scope = None

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("api/raise/<str:what>/", RaisingView.as_view()),
    path("api/fine/", FineView.as_view()),
    path("", include("salonbook.urls")),
]
from salonbook.urls import handler404, handler500  # noqa: E402,F401
