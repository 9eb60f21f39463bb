"""Reads of salons and of who works where."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from salons.models import Salon, StaffMember


def staff_member_for_user(user: AbstractBaseUser | None) -> StaffMember | None:
    """The active staff member record of a logged-in user, with its salon."""
    if user is None or not user.is_authenticated:
        return None
    return StaffMember.objects.select_related("salon").filter(user=user, is_active=True).first()


def user_can_manage_salon(user: AbstractBaseUser | None, salon: Salon) -> bool:
    """Admins manage every salon; staff only their own."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    member = staff_member_for_user(user)
    return member is not None and member.salon_id == salon.pk
