"""Fixtures for monitoring tests: a metrics store per test, Redis or not."""

from __future__ import annotations

import io
import logging

import pytest
from rest_framework.test import APIClient

from monitoring.metrics.store import reset_store
from salons.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fresh_metrics_store(settings):
    """Each test counts from a store built for its settings (and empty when local)."""
    reset_store()
    yield
    reset_store()


@pytest.fixture
def redis_metrics(settings, redis_url):
    """Metrics shared through the real Redis of this test run."""
    settings.METRICS_REDIS_URL = redis_url
    reset_store()
    return redis_url


@pytest.fixture
def admin_api(db) -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory.create(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def console_output():
    """What the configured console handler writes (its filters and formatter included)."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)
