"""Fixtures for tests that send messages: a fake WhatsApp provider over real
HTTP, and Celery tasks run in the test's own process. Imported by the
conftest of every app whose tests send messages."""

from __future__ import annotations

import pytest

from messaging.breaker import reset_breaker
from messaging.providers import reset_provider
from messaging.tests.fake_provider import FakeProvider
from salonbook.celery import app


@pytest.fixture
def fake_provider():
    fake = FakeProvider.start()
    yield fake
    fake.stop()


@pytest.fixture
def eager_tasks():
    """Queued tasks run in the calling process (the integration test uses a real worker)."""
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
