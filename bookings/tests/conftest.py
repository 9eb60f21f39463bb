"""Fixtures of the bookings tests: the fake WhatsApp provider, a headless Chromium."""

from __future__ import annotations

import os

import pytest

from bookings.tests.browser import ARTIFACTS, CHROMIUM, FLAGS

# The provider fixtures: a fake WhatsApp provider over real HTTP, eager tasks.
from bookings.tests.fake_provider import eager_tasks, fake_provider, whatsapp_http  # noqa: F401


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        from conftest import _missing

        _missing(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    # Playwright's sync API keeps an event loop in this thread; the ORM calls
    # of the test itself are plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
