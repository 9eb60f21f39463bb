"""The baseline: a bare Django view returning a JSON body, nothing else.

No apps, no middleware, no database: what Django itself costs per request.
Served by gunicorn with the same settings as the app
(``gunicorn benchmarks.bare_app:application``); ``BARE_BODY_BYTES`` sets the
body's size so it matches the response it is compared with.
"""

import os

import django
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import JsonResponse
from django.urls import path

BODY_BYTES = int(os.environ.get("BARE_BODY_BYTES", "2000"))
# A list of short strings adds up to (about) the requested body size.
PAYLOAD = {"slots": ["x" * 40] * max(1, (BODY_BYTES - 12) // 44)}


def bare(request):
    return JsonResponse(PAYLOAD)


urlpatterns = [path("bare", bare)]

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark-baseline-only",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        USE_TZ=True,
    )
    django.setup()

application = get_wsgi_application()
