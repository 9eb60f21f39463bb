import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salonbook.settings")

application = get_wsgi_application()

# gunicorn loads this module once, in its master, and forks the workers from
# it (preload_app). Importing the URLconf, and with it every view, here means
# no worker, new or recycled, spends its first request on imports (about
# 150 ms, and CPU taken from the other workers). No connection is opened.
get_resolver().url_patterns
