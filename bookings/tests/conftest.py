"""Fixtures of the bookings tests: a fake WhatsApp provider over real HTTP
and Celery tasks run in the test's own process (the outbox's), owners."""

from __future__ import annotations

import pytest

from messaging.tests.fixtures import eager_tasks, fake_provider, whatsapp_http  # noqa: F401  (fixtures)
from salons.models import StaffMember
from salons.tests.factories import SalonFactory, StaffMemberFactory, UserFactory


@pytest.fixture
def owner_of_salon(salon):
    """A user who owns ``salon`` (the back office's role)."""
    user = UserFactory(username="owner-here")
    StaffMemberFactory(salon=salon, user=user, role=StaffMember.Role.OWNER, name="Olga Owner", hours=False)
    return user


@pytest.fixture
def owner_of_other_salon(db):
    user = UserFactory(username="owner-elsewhere")
    StaffMemberFactory(salon=SalonFactory(name="Rival Salon"), user=user, role=StaffMember.Role.OWNER, hours=False)
    return user
