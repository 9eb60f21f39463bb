"""The calendar-feed links in the staff pages, in Chromium at phone width: axe-core clean, no CSP violations."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from bookings.tests.browser import ARTIFACTS, assert_accessible, log_in, watched_page
from salons.models import StaffMember
from salons.services import calendar_token_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE_390 = {"width": 390, "height": 844}
PASSWORD = "pass-word-123"  # salons.tests.factories.UserFactory's


def _logged_in(browser: Any, live_server: Any, username: str) -> tuple[Any, Any, list[str]]:
    context, page, errors = watched_page(browser, PHONE_390)
    log_in(page, live_server, username, PASSWORD)
    return context, page, errors



def test_owner_finds_their_feed_from_the_agenda_and_resets_a_stylists(
    browser, live_server, salon, staff_member, owner_of_salon, settings
):
    settings.PUBLIC_BASE_URL = live_server.url
    old = calendar_token_for(staff_member=staff_member)
    context, page, errors = _logged_in(browser, live_server, owner_of_salon.username)

    subscribe = page.get_by_role("link", name="Subscribe to my calendar")
    owner = StaffMember.objects.get(user=owner_of_salon)
    assert subscribe.get_attribute("href") == f"webcal://{live_server.url.split('://')[1]}/calendar/{owner.calendar_token}.ics"
    page.get_by_role("link", name="Calendar links").click()
    expect(page.get_by_role("heading", name="Calendar links")).to_be_visible()
    expect(page.get_by_label("Calendar address")).to_have_value(f"{live_server.url}/calendar/{owner.calendar_token}.ics")
    assert_accessible(page)

    page.get_by_role("button", name=f"Reset {staff_member.name}'s calendar link").click()
    expect(page.get_by_text(f"{staff_member.name}'s calendar link is new")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "calendar-links-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
    assert_accessible(page)
    assert page.request.get(f"{live_server.url}/calendar/{old}.ics").status == 404
    assert StaffMember.objects.get(pk=staff_member.pk).calendar_token != old
    assert errors == []
    context.close()
