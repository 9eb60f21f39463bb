"""The waitlist in a real headless Chromium, in the demo salon: staff offer a
free time by hand from the agenda, and a customer whose wanted time came free
through a cancellation books it from the link in their message."""

from __future__ import annotations

import os

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from bookings.models import Booking, BookingStatusChange
from bookings.services import Actor, BookingRequest, Customer, booking_cancel, booking_create
from bookings.tests.browser import ARTIFACTS, DESKTOP, PHONE, assert_accessible, demo_working_day, watched_page
from messaging.models import Message
from salons.models import Salon
from slots.availability import availability_for_day
from waitlist.models import WaitlistEntry, WaitlistOffer
from waitlist.services import waitlist_join

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-pass"


@pytest.fixture
def demo(db):
    call_command("seed_demo", password=PASSWORD, stdout=open(os.devnull, "w"))
    salon = Salon.objects.get(slug="demo")
    day = demo_working_day(salon)
    service = salon.services.get(name="Cut & Finish")
    return salon, day, service



def _join(salon, day, service, phone="+447911123481"):
    return waitlist_join(
        salon=salon,
        service=service,
        staff_member=None,
        date_from=day,
        date_to=day,
        customer_name="Wendy Waiting",
        customer_phone=phone,
    )


def test_staff_offer_a_free_time_by_hand_from_the_agenda(browser, live_server, demo):
    salon, day, service = demo
    entry = _join(salon, day, service)
    context, page, errors = watched_page(browser, DESKTOP)
    page.goto(f"{live_server.url}/staff/")
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/staff/salons/{salon.slug}/?date={day.isoformat()}")

    panel = page.get_by_role("region", name="Waitlist for this day")
    expect(panel).to_contain_text("Wendy Waiting")
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "waitlist-agenda.png"), full_page=True)
    panel.get_by_role("button", name="Offer to Wendy Waiting").click()
    page.wait_for_load_state()

    offer = WaitlistOffer.objects.get(entry=entry, status="live")
    assert offer.by_hand
    expect(page.get_by_text("Offered")).to_be_visible()
    expect(panel.get_by_role("button", name="Withdraw the offer to Wendy Waiting")).to_be_visible()
    assert Message.objects.filter(kind="waitlist_offer", to=entry.customer_phone).exists()
    assert errors == []
    context.close()


def test_a_cancelled_time_is_offered_to_the_waiting_customer_and_booked_from_the_link(
    browser, live_server, demo, settings
):
    """End to end in the demo salon: booking, waiting customer, cancellation,
    offer message, claim page, booking with its history."""
    settings.PUBLIC_BASE_URL = live_server.url
    salon, day, service = demo
    start = availability_for_day(salon=salon, day=day, service=service)[0]
    booked = booking_create(
        request=BookingRequest(
            salon=salon,
            service=service,
            staff_member=salon.staff.get(pk=start.staff_member_id),
            start=start.start,
            customer=Customer("Carl Cancels", "+447911123482"),
        ),
    )
    entry = _join(salon, day, service)
    booking_cancel(booking=booked, actor=Actor.customer())
    message = Message.objects.get(kind="waitlist_offer", to=entry.customer_phone)
    link = message.parameters["claim_url"]

    context, page, errors = watched_page(browser, PHONE)
    page.goto(link)
    expect(page.get_by_role("button", name="Book this time")).to_be_visible()
    assert "token" not in page.url
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "waitlist-claim-phone.png"), full_page=True)
    page.get_by_role("button", name="Book this time").click()
    expect(page.locator("#claim-status")).to_contain_text("Booked")

    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.BOOKED
    booking = entry.booking
    assert booking.start == booked.start and booking.status in Booking.ACTIVE_STATUSES
    assert BookingStatusChange.objects.filter(booking=booking, note="booked from the waitlist").exists()
    page.screenshot(path=str(ARTIFACTS / "waitlist-claimed-phone.png"), full_page=True)
    # Opening the link again (a new tab) shows it booked, and books nothing more.
    page = context.new_page()
    page.goto(link)
    expect(page.locator("#claim-status")).to_contain_text("booked for you")
    assert Booking.objects.filter(start=booked.start, status__in=Booking.ACTIVE_STATUSES).count() == 1
    assert errors == []
    context.close()
