"""Start-up checks of what settings alone cannot tell: files a deploy must have made.

With DEBUG off, static files are served from whitenoise's manifest storage,
which knows each file by the hashed name ``collectstatic`` wrote into
``staticfiles.json``. Without that manifest every page that links a
stylesheet raises ``ValueError`` while rendering: the app starts and answers
500 to every staff page. So a production start without collected static files
is refused here, by the deployment checks and by the WSGI/ASGI entry points,
with the command that fixes it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages

STATIC_NOT_COLLECTED = "salonbook.E001"


@register(deploy=True)
def static_files_collected(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """The manifest storage has its manifest: ``collectstatic`` ran into STATIC_ROOT."""
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin) or storage.read_manifest() is not None:
        return []
    return [
        Error(
            f"Static files have not been collected into {settings.STATIC_ROOT}: "
            "every page would answer 500 under the production static storage.",
            hint="Run `python manage.py collectstatic --noinput` (with the same settings) before starting the app.",
            id=STATIC_NOT_COLLECTED,
        )
    ]


def refuse_to_serve_without_static_files() -> None:
    """Stop a web process from starting rather than serving 500s."""
    for error in static_files_collected():
        raise ImproperlyConfigured(f"{error.msg} {error.hint}")
