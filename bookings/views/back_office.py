"""Which salon a customers or reports page is about, and what the user may do there."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from bookings.services import Actor


def owner_only(is_owner: bool) -> None:
    if not is_owner:
        raise PermissionDenied("Only the salon's owner can do this.")


def staff_actor(request: HttpRequest) -> Actor:
    """The logged-in user as the staff actor recorded in the history."""
    user: Any = request.user
    return Actor.staff(cast(AbstractBaseUser, user))
