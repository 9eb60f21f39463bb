"""Who may do what: anonymous customers, staff in their own salon, admins everywhere."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from salons.models import StaffMember
from salons.selectors import staff_member_for_user

_UNSET = object()


def staff_member_of(request: Any) -> StaffMember | None:
    """The request user's active staff record, looked up once per request."""
    cached = getattr(request, "_salonbook_staff_member", _UNSET)
    if cached is _UNSET:
        cached = staff_member_for_user(request.user)
        request._salonbook_staff_member = cached
    return cached


def is_admin(request: Any) -> bool:
    user = request.user
    return bool(user is not None and user.is_authenticated and user.is_superuser)


def can_manage_salon(request: Any, salon_id: int) -> bool:
    """Admins manage every salon; staff only the one they work at."""
    if is_admin(request):
        return True
    member = staff_member_of(request)
    return member is not None and member.salon_id == salon_id


class IsStaffOrAdmin(BasePermission):
    """Logged in (token or session) as an active staff member or an admin.

    Which salon they may act in is checked against the object: another
    salon's booking or slot answers 404.
    """

    message = "Only salon staff can do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        return is_admin(request) or staff_member_of(request) is not None
