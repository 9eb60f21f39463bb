"""An owner sets up an empty salon in the back office, in a real headless
Chromium, and the public API then offers exactly the times those settings
call for; a holiday takes a day away; a stylist cannot change a price.

Every page is checked with axe-core and for Content-Security-Policy
violations, at phone (390 px) and desktop width; screenshots go to
``test-artifacts/``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from bookings.tests.browser import ARTIFACTS, DESKTOP, log_in, watched_page
from salons.models import Salon, Service, StaffMember
from salons.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-word-123"
PHONE_390 = {"width": 390, "height": 844}


@pytest.fixture
def empty_salon(db):
    """A salon with nothing in it but its owner (who does no services)."""
    salon = Salon.objects.create(name="New Salon", slug="new-salon", timezone="Europe/London")
    owner = UserFactory(username="new-owner")
    StaffMember.objects.create(salon=salon, user=owner, name="Olga Owner", role=StaffMember.Role.OWNER)
    return salon


def _open(browser, live_server, username: str, viewport: dict):
    context, page, errors = watched_page(browser, viewport)
    log_in(page, live_server, username, PASSWORD)
    return context, page, errors


def _check(page, name: str | None = None) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    wide = page.evaluate(
        """(limit) => [...document.querySelectorAll('body *')]
            .filter((e) => e.scrollWidth > limit + 1 || e.getBoundingClientRect().right > limit + 1)
            .slice(0, 12).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + '/' + e.scrollWidth)""",
        page.viewport_size["width"],
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], (page.url, wide)
    if name:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _saved(page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def _add_service(page, name: str, minutes: int, buffer: int, price: str) -> None:
    form = page.locator("form", has=page.get_by_role("button", name="Add the service"))
    form.get_by_label("Name").fill(name)
    form.get_by_label("Duration (minutes)").fill(str(minutes))
    form.get_by_label("Clean-up after (minutes)").fill(str(buffer))
    form.get_by_label("Price").fill(price)
    form.get_by_role("button", name="Add the service").click()
    _saved(page, f"{name} is added")


def _add_stylist(page, live_server, slug: str, name: str, services: list[str], hours, breaks) -> None:
    page.goto(f"{live_server.url}/staff/salons/{slug}/settings/staff/")
    form = page.locator("form", has=page.get_by_role("button", name="Add the staff member"))
    form.get_by_label("Name").fill(name)
    for service in services:
        form.get_by_label(service, exact=True).check()
    form.get_by_role("button", name="Add the staff member").click()
    _saved(page, f"{name} is added")
    for weekday in range(7):
        page.locator(f"#id_day{weekday}-works").check()
        page.locator(f"#id_day{weekday}-start_time").fill(hours[0])
        page.locator(f"#id_day{weekday}-end_time").fill(hours[1])
        if breaks:
            page.locator(f"#id_day{weekday}-break_start").fill(breaks[0])
            page.locator(f"#id_day{weekday}-break_end").fill(breaks[1])
    page.get_by_role("button", name="Save the week").click()
    _saved(page, f"{name}'s hours are saved")


def _expected(day: dt.date, periods: list[tuple[str, str]], need_minutes: int, staff_id: int) -> list[tuple[str, int]]:
    """Free starts worked out by hand: every 15 minutes from each period's
    start while the service still fits before the period ends."""
    starts = []
    for opens, closes in periods:
        at = dt.datetime.combine(day, dt.time.fromisoformat(opens))
        end = dt.datetime.combine(day, dt.time.fromisoformat(closes))
        while at + dt.timedelta(minutes=need_minutes) <= end:
            starts.append((at.strftime("%H:%M"), staff_id))
            at += dt.timedelta(minutes=15)
    return starts


def _offered(page, live_server, slug: str, day: dt.date, service: Service) -> list[tuple[str, int]]:
    answer = page.request.get(f"{live_server.url}/api/salons/{slug}/availability/?date={day}&service={service.pk}")
    assert answer.status == 200, answer.text()
    return [(s["start"][11:16], s["staff"]) for s in answer.json()["slots"]]


def test_owner_sets_up_an_empty_salon_and_the_api_offers_exactly_those_times(browser, live_server, empty_salon):
    slug = empty_salon.slug
    context, page, errors = _open(browser, live_server, "new-owner", PHONE_390)

    # From the agenda, through the nav, to the salon's settings.
    page.get_by_role("link", name="Salon settings").click()
    profile = page.locator("form", has=page.get_by_role("button", name="Save the profile"))
    profile.get_by_label("Name").fill("Studio Nine")
    profile.get_by_label("Address").fill("9 Market Street, Leeds")
    profile.get_by_label("WhatsApp number").fill("+447911123456")
    profile.get_by_label("Language of customer messages").select_option("en")
    _check(page, "backoffice-settings-phone")
    profile.get_by_role("button", name="Save the profile").click()
    _saved(page, "profile is saved")
    rules = page.locator("form", has=page.get_by_role("button", name="Save the rules"))
    rules.get_by_label("Slot length (minutes)").fill("15")
    rules.get_by_label("Minimum notice (minutes)").fill("0")
    rules.get_by_role("button", name="Save the rules").click()
    _saved(page, "booking rules are saved")

    page.get_by_role("link", name="Services").click()
    _add_service(page, "Cut", 30, 0, "25.00")
    _add_service(page, "Colour", 60, 15, "70.00")
    _check(page, "backoffice-services-phone")

    _add_stylist(
        page, live_server, slug, "Ana", ["Cut (30 min)", "Colour (60 min)"], ("09:00", "17:00"), ("12:00", "13:00")
    )
    _check(page, "backoffice-hours-phone")
    _add_stylist(page, live_server, slug, "Bea", ["Cut (30 min)"], ("10:00", "14:00"), None)

    today = timezone.localdate(timezone=empty_salon.tz)
    open_day, holiday = today + dt.timedelta(days=2), today + dt.timedelta(days=3)
    page.goto(f"{live_server.url}/staff/salons/{slug}/settings/closures/")
    page.set_viewport_size(DESKTOP)
    page.get_by_label("Closed from").fill(holiday.isoformat())
    page.get_by_label("Reason (optional)").fill("Bank holiday")
    page.get_by_role("button", name="Close on these dates").click()
    _saved(page, "The salon is closed")
    _check(page, "backoffice-closures-desktop")
    page.goto(f"{live_server.url}/staff/salons/{slug}/settings/staff/")
    _check(page, "backoffice-staff-desktop")

    salon = Salon.objects.get(slug=slug)
    assert (salon.name, salon.whatsapp_phone) == ("Studio Nine", "+447911123456")
    cut, colour = Service.objects.get(salon=salon, name="Cut"), Service.objects.get(salon=salon, name="Colour")
    ana, bea = StaffMember.objects.get(name="Ana"), StaffMember.objects.get(name="Bea")

    ana_periods = [("09:00", "12:00"), ("13:00", "17:00")]
    want_cut = sorted(
        _expected(open_day, ana_periods, 30, ana.pk) + _expected(open_day, [("10:00", "14:00")], 30, bea.pk)
    )
    assert _offered(page, live_server, slug, open_day, cut) == want_cut
    # Colour: 60 minutes and 15 of clean-up, only Ana.
    assert _offered(page, live_server, slug, open_day, colour) == _expected(open_day, ana_periods, 75, ana.pk)
    # The holiday has nothing; the day after it is open again.
    assert _offered(page, live_server, slug, holiday, cut) == []
    assert _offered(page, live_server, slug, holiday + dt.timedelta(days=1), cut)
    assert errors == []
    context.close()


def test_a_stylist_sees_the_price_read_only_and_cannot_post_a_change(browser, live_server, empty_salon):
    service = Service.objects.create(salon=empty_salon, name="Cut", duration_minutes=30, price="25.00")
    stylist = UserFactory(username="a-stylist")
    StaffMember.objects.create(salon=empty_salon, user=stylist, name="Sid")
    context, page, errors = _open(browser, live_server, "a-stylist", DESKTOP)
    url = f"{live_server.url}/staff/salons/{empty_salon.slug}/settings/services/{service.pk}/"
    page.goto(url)
    expect(page.get_by_text("Read only")).to_be_visible()
    expect(page.get_by_label("Price")).to_be_disabled()
    assert page.get_by_role("button", name="Save").count() == 0
    _check(page, "backoffice-read-only-desktop")
    page.set_viewport_size(PHONE_390)
    _check(page, "backoffice-read-only-phone")

    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    refused = page.request.post(
        url,
        form={
            "csrfmiddlewaretoken": token,
            "name": "Cut",
            "duration_minutes": "30",
            "buffer_minutes": "0",
            "price": "1",
        },
        headers={"Referer": url},
    )
    assert refused.status == 403
    assert "Only the salon" in refused.text()
    service.refresh_from_db()
    assert str(service.price) == "25.00"
    assert errors == []
    context.close()
