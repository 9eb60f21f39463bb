"""What the stack itself costs, measured beside the app: the floor under the
cached reads.

The project's own settings, middleware and gunicorn config, with a URLconf of
two DRF views that do no work of the product's:

- ``/floor/static``: answers a JSON body of ``FLOOR_BODY_BYTES`` held in
  memory. Django + DRF + the middleware, no Redis.
- ``/floor/redis``: reads the same body from the content cache's Redis first
  (one ``GET`` through django-redis): the one round trip a cached read needs.

``benchmarks/run`` drives both with wrk in the same run as the bare view and
the real endpoints, so the gap between a floor and a cached read is the
product's own work (rate limit, cache stamps, validation, metrics).
Served with ``gunicorn benchmarks.floor_app:application``.
"""

import os

from django.core.cache import caches
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import path

# Django is set up before DRF's views are imported: their default
# authentication (the token model) is loaded at import time.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salonbook.settings")
application = get_wsgi_application()

from rest_framework.views import APIView  # noqa: E402

from salonbook.api.base import ApiView  # noqa: E402

BODY_BYTES = int(os.environ.get("FLOOR_BODY_BYTES", "2000"))
BODY = b'{"slots":[' + b",".join([b'"' + b"x" * 40 + b'"'] * max(1, (BODY_BYTES - 12) // 43)) + b"]}"
CACHE_KEY = "bench:floor:body"


class StaticBody(APIView):
    renderer_classes = ApiView.renderer_classes
    content_negotiation_class = ApiView.content_negotiation_class

    def get(self, request):
        return HttpResponse(BODY, content_type="application/json")


class RedisBody(StaticBody):
    def get(self, request):
        body = caches["default"].get(CACHE_KEY)
        if body is None:  # the first request stores it
            caches["default"].set(CACHE_KEY, BODY, None)
            body = BODY
        return HttpResponse(body, content_type="application/json")


urlpatterns = [path("floor/static", StaticBody.as_view()), path("floor/redis", RedisBody.as_view())]

from django.conf import settings  # noqa: E402  (configured above)

settings.ROOT_URLCONF = __name__
