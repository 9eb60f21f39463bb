"""Fixtures of the bookings tests: a fake WhatsApp provider over real HTTP,
and Celery tasks run in the test's own process."""

from __future__ import annotations

import pytest

from bookings.messages.breaker import reset_breaker
from bookings.messages.providers import reset_provider
from bookings.tests.fake_provider import FakeProvider
from salons.models import StaffMember
from salons.tests.factories import SalonFactory, StaffMemberFactory, UserFactory


@pytest.fixture
def fake_provider():
    fake = FakeProvider.start()
    yield fake
    fake.stop()


@pytest.fixture
def eager_tasks():
    """Queued tasks run in the calling process (the integration test uses a real worker)."""
    from salonbook.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def whatsapp_http(settings, fake_provider, eager_tasks):
    """Reminders go to ``fake_provider`` over HTTP, through a breaker of this process."""
    settings.WHATSAPP_BACKEND = "http"
    settings.WHATSAPP_API_URL = fake_provider.url
    settings.WHATSAPP_TOKEN = "test-token"
    settings.WHATSAPP_PHONE_NUMBER_ID = "1234567890"
    settings.WHATSAPP_CONNECT_TIMEOUT = 0.5
    settings.WHATSAPP_READ_TIMEOUT = 0.5
    settings.WHATSAPP_IDEMPOTENT = True
    settings.WHATSAPP_BREAKER_REDIS_URL = None
    settings.WHATSAPP_BREAKER_FAIL_MAX = 5
    settings.WHATSAPP_BREAKER_RESET_SECONDS = 60
    fake_provider.hang_seconds = 1.5
    reset_provider()
    reset_breaker()
    yield fake_provider
    reset_provider()
    reset_breaker()


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
