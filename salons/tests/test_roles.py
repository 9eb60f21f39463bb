"""Owners run their own salon's back office; stylists work there; admins own every salon."""

import pytest
from django.contrib.auth.models import AnonymousUser

from salons.models import StaffMember
from salons.selectors import user_can_manage_salon, user_owns_salon
from salons.tests.factories import SalonFactory, StaffMemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_of_salon(salon):
    user = UserFactory()
    StaffMemberFactory(salon=salon, user=user, role=StaffMember.Role.OWNER)
    return user


def test_owner_owns_and_manages_their_salon_only(salon, owner_of_salon):
    other = SalonFactory()
    assert user_owns_salon(owner_of_salon, salon.pk) and user_can_manage_salon(owner_of_salon, salon.pk)
    assert not user_owns_salon(owner_of_salon, other.pk)
    assert not user_can_manage_salon(owner_of_salon, other.pk)


def test_stylist_manages_the_day_but_does_not_own_the_salon(salon, staff_of_salon):
    assert user_can_manage_salon(staff_of_salon, salon.pk)
    assert not user_owns_salon(staff_of_salon, salon.pk)


def test_admin_owns_every_salon(salon, admin_user):
    assert user_owns_salon(admin_user, salon.pk)
    assert user_owns_salon(admin_user, SalonFactory().pk)


def test_inactive_owner_or_user_is_refused(salon, owner_of_salon):
    StaffMember.objects.filter(user=owner_of_salon).update(is_active=False)
    fresh = type(owner_of_salon).objects.get(pk=owner_of_salon.pk)
    assert not user_owns_salon(fresh, salon.pk)
    StaffMember.objects.filter(user=owner_of_salon).update(is_active=True)
    fresh.is_active = False
    fresh.save()
    assert not user_owns_salon(type(fresh).objects.get(pk=fresh.pk), salon.pk)


def test_stranger_and_anonymous_own_nothing(salon):
    assert not user_owns_salon(UserFactory(), salon.pk)
    assert not user_owns_salon(AnonymousUser(), salon.pk)
