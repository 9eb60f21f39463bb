"""A customer moves their booking from the manage page on a phone, and the staff agenda follows.

Chromium (``bookings.tests.browser``) at 390 px against a live server,
axe-core on the page, every Content-Security-Policy violation a failure.
Screenshots in ``test-artifacts/``.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from icalendar import Calendar
from playwright.sync_api import expect

from bookings.messages.texts import manage_url
from bookings.models import Booking
from bookings.tests.browser import ARTIFACTS, assert_accessible, watched_page
from bookings.tests.factories import make_booking, next_local
from salons.services import business_info_save
from salons.tests.factories import StaffMemberFactory
from slots.services import slots_sync_for_staff

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE_390 = {"width": 390, "height": 844}
STAFF_PASSWORD = "pass-word-123"  # salons.tests.factories.UserFactory's



def test_customer_moves_the_booking_to_another_day_and_the_agenda_shows_it_there(
    browser, live_server, salon, service, staff_member, staff_of_salon, settings
):
    settings.PUBLIC_BASE_URL = live_server.url
    salon.address = "12 Mill Lane, Bristol"
    business_info_save(instance=salon)
    booking = make_booking(
        service=service, staff_member=staff_member, start=next_local(salon, days=3), name="Maya Patel"
    )
    new_start = next_local(salon, days=4, at=dt.time(14))
    # At 15:00 that day only a colleague is free: not a time to offer for this booking.
    colleague = StaffMemberFactory(salon=salon, services=[service], name="Carla Colleague")
    slots_sync_for_staff(staff_member=colleague, days=7)
    make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=4, at=dt.time(15)))
    context, page, errors = watched_page(browser, PHONE_390)

    page.goto(manage_url(booking))
    expect(page.locator('[data-field="when"]')).to_contain_text("10:00")
    expect(page.get_by_role("heading", name=salon.name)).to_be_visible()
    expect(page.get_by_text("12 Mill Lane, Bristol")).to_be_visible()
    phone = page.get_by_role("link", name=salon.whatsapp_phone)
    assert phone.get_attribute("href") == f"tel:{salon.whatsapp_phone}"
    cut_off = (booking.start - dt.timedelta(hours=24)).astimezone(salon.tz)
    expect(page.locator("#manage-cutoff")).to_contain_text("You can cancel or move until")
    expect(page.locator("#manage-cutoff")).to_contain_text(cut_off.strftime("%H:%M"))
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "manage-move-phone-before.png"), full_page=True)

    # Another day: its free times for the same service and staff member.
    page.get_by_label("Day").fill(new_start.date().isoformat())
    page.get_by_role("button", name="Show free times").click()
    expect(page.locator(".time-pill").filter(has_text="14:30")).to_have_count(1)
    expect(page.locator(".time-pill").filter(has_text="15:00")).to_have_count(0)
    page.locator(".time-pill").filter(has_text="14:00").click()
    assert_accessible(page)
    page.get_by_role("button", name="Move my booking").click()

    expect(page.locator("#manage-status")).to_contain_text("Your booking is moved to")
    expect(page.locator('[data-field="when"]')).to_contain_text("14:00")
    booking.refresh_from_db()
    assert booking.start == new_start and booking.status == Booking.Status.CONFIRMED
    assert booking.history.last().actor == "customer"
    # The time it left is free again, the one it took is not offered.
    expect(page.locator(".time-pill").filter(has_text="14:00")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "manage-move-phone-after.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
    assert_accessible(page)

    # "Add to calendar" hands over the booking at its new time.
    with page.expect_download() as download:
        page.get_by_role("button", name="Add to calendar").click()
    with open(download.value.path(), "rb") as file:
        [event] = Calendar.from_ical(file.read()).events
    assert event.start == new_start and str(event["UID"]) == f"{booking.reference}@salonbook"
    assert errors == []
    context.close()

    # The stylist's agenda for that day shows the booking at its new time.
    context, page, errors = watched_page(browser, PHONE_390)
    page.goto(f"{live_server.url}/staff/login/")
    page.get_by_label("Username").fill(staff_of_salon.username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    agenda = reverse("staff:agenda", kwargs={"slug": salon.slug})
    page.goto(f"{live_server.url}{agenda}?date={new_start.date().isoformat()}")
    block = page.get_by_role("region", name=re.compile("Agenda for")).locator(".block").filter(has_text="Maya Patel")
    expect(block).to_contain_text("14:00")
    page.screenshot(path=str(ARTIFACTS / "manage-move-agenda-phone.png"), full_page=True)
    # ...and no longer on the day it left.
    page.goto(f"{live_server.url}{agenda}?date={next_local(salon, days=3).date().isoformat()}")
    expect(page.locator(".block").filter(has_text="Maya Patel")).to_have_count(0)
    assert errors == []
    context.close()


def test_a_refused_move_is_explained_in_words(browser, live_server, salon, service, staff_member, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=3))
    other = next_local(salon, days=3, at=dt.time(15))
    context, page, errors = watched_page(browser, PHONE_390)
    page.goto(manage_url(booking))
    page.get_by_label("Day").fill(other.date().isoformat())
    page.get_by_role("button", name="Show free times").click()
    page.locator(".time-pill").filter(has_text="15:00").click()
    # Someone else takes that time while the customer looks at it.
    make_booking(service=service, staff_member=staff_member, start=other, name="Quick Fingers")
    page.get_by_role("button", name="Move my booking").click()

    expect(page.locator("#manage-status .message-error")).to_have_text("That time is no longer available.")
    booking.refresh_from_db()
    assert booking.start == next_local(salon, days=3)

    # A day the API refuses: its field's message, in words.
    page.get_by_label("Day").fill("2099-01-01")
    page.get_by_role("button", name="Show free times").click()
    expect(page.locator("#manage-status .message-error")).to_contain_text("Choose a day within ten years of today.")
    expect(page.locator("#move-form")).to_be_hidden()
    assert errors == []
    context.close()
