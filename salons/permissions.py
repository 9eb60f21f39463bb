"""Who may call the staff API: the salon access rule of ``salons.selectors``, as DRF permissions."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from salons.selectors import is_platform_admin, user_is_staff_or_admin


class IsStaffOrAdmin(BasePermission):
    """Logged in (token or session) as an active staff member or an admin.

    Which salon they may act in is checked against the object with
    ``user_can_manage_salon``: another salon's booking or slot answers 404.
    """

    message = "Only salon staff can do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        return user_is_staff_or_admin(request.user)


class IsAdmin(BasePermission):
    """Active superusers only: salon staff, even with admin-site access, see no system numbers."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_platform_admin(request.user)
