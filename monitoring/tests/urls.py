"""Small views for testing the middleware against known routes, queries and errors."""

import logging
import time

from django.contrib.auth import get_user_model
from django.http import HttpResponse, JsonResponse
from django.urls import include, path, re_path

logger = logging.getLogger("salonbook.tests")


def item(request, pk):
    # Two queries, so the Server-Timing count can be checked.
    users = get_user_model().objects
    return JsonResponse({"pk": pk, "count": users.count(), "exists": users.filter(pk=pk).exists()})


def legacy(request, ref):
    return JsonResponse({"ref": ref})


def talk(request):
    logger.warning("customer +447911123456 wrote from ana.silva@example.com")
    return HttpResponse("ok")


def slow(request):
    time.sleep(0.2)
    return HttpResponse("slow")


def boom(request):
    raise ValueError("cannot remind +447911123456 at ana.silva@example.com")


urlpatterns = [
    path("", include("monitoring.urls")),
    path("items/<int:pk>/", item, name="item"),
    re_path(r"^legacy/(?P<ref>[A-Z0-9]+)/$", legacy, name="legacy"),
    path("talk/", talk),
    path("slow/", slow),
    path("boom/", boom),
]


def not_found(request, exception):
    return JsonResponse({"error": {"code": "not_found"}}, status=404)


handler404 = not_found
