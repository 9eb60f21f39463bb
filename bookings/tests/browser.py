"""Headless Chromium for the browser tests: the ``browser`` fixture (loaded for
every test by the root conftest's ``pytest_plugins``) and the screen sizes and
screenshot folder the tests share.

Debian's ``chromium`` driven by Playwright (its own browser download cannot
work offline). Without Chromium the browser tests skip on a developer's
machine and fail in CI (``REQUIRE_SERVICES=1``).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from salons.models import Salon

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


def demo_working_day(salon: Salon) -> dt.date:
    """The first day after today when all three demo staff work: Tuesday to
    Friday (Chloe has Saturdays off, Ben Mondays, nobody works Sundays)."""
    day = timezone.localdate(timezone=salon.tz) + dt.timedelta(days=1)
    while day.weekday() not in range(1, 5):
        day += dt.timedelta(days=1)
    return day


def watched_page(browser, viewport: dict) -> tuple[Any, Any, list[str]]:
    """A new page at ``viewport`` (British English, London time) whose script
    errors and CSP violations are collected in the list returned with it."""
    from salonbook.tests.csp import watch_csp

    context = browser.new_context(viewport=viewport, locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    watch_csp(page, errors)
    return context, page, errors


def log_in(page, live_server, username: str, password: str) -> None:
    """Sign in on the staff login page."""
    page.goto(f"{live_server.url}/staff/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def assert_accessible(page) -> None:
    """axe-core finds nothing on the page as it is now (WCAG 2 AA and best practice)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.fixture(scope="module")
def browser():
    """A Chromium launched once per test module."""
    if not os.access(CHROMIUM, os.X_OK):
        from conftest import _missing

        _missing(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

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
