"""Who may open and who may change the back office of a salon.

The one page guard (``salons.views.salon_access``) decides: the salon's
owners and admins change it; its stylists see it read-only (every field
disabled; a POST is refused with 403 and a page saying why); staff of another
salon get 404, as if the salon did not exist for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from salons.models import Salon
from salons.views import salon_access, staff_required

READ_ONLY = "Only the salon's owner can change its settings, services, staff and hours. You can see them here."


@dataclass(frozen=True)
class BackOffice:
    salon: Salon
    can_change: bool

    def context(self, section: str, **more: Any) -> dict[str, Any]:
        return {"salon": self.salon, "can_change": self.can_change, "nav": "backoffice", "section": section, **more}


def backoffice(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Open the page for staff of the salon ``slug``; let only owners (and
    admins) post. The view gets ``office`` in place of ``slug``."""

    @staff_required
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        access = salon_access(request, slug)
        if request.method not in ("GET", "HEAD") and not access.can_change:
            raise PermissionDenied(READ_ONLY)
        return view(request, BackOffice(salon=access.salon, can_change=access.can_change), *args, **kwargs)

    return wrapper
