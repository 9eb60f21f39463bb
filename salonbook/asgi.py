import os

from django.core.asgi import get_asgi_application

from salonbook.checks import refuse_to_serve_without_static_files

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salonbook.settings")

application = get_asgi_application()

# A production start without collected static files stops here with the fix.
refuse_to_serve_without_static_files()
