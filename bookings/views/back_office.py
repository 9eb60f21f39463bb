"""Which salon a customers or reports page is about, and what the user may do there."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from bookings.services import Actor
from salons.models import Salon
from salons.selectors import user_can_manage_salon, user_owns_salon


def back_office_salon(request: HttpRequest, slug: str) -> tuple[Salon, bool]:
    """The salon ``slug`` and whether the user owns it (may change things).

    Its staff see the pages read-only; anyone else gets 404, so another
    salon's staff cannot even learn what exists there.
    """
    salon = Salon.objects.filter(slug=slug).first()
    if salon is None or not user_can_manage_salon(request.user, salon.pk):
        raise Http404("No such salon.")
    return salon, user_owns_salon(request.user, salon.pk)


def owner_only(is_owner: bool) -> None:
    if not is_owner:
        raise PermissionDenied("Only the salon's owner can do this.")


def staff_actor(request: HttpRequest) -> Actor:
    """The logged-in user as the staff actor recorded in the history."""
    user: Any = request.user
    return Actor.staff(cast(AbstractBaseUser, user))
