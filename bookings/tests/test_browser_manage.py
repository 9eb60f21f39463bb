"""The customer's booking page, opened from a reminder's link, in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bookings.booking_plans import Repeat, booking_book
from bookings.messages.texts import manage_url
from bookings.models import Booking
from bookings.services import Actor, Customer
from bookings.tests.browser import ARTIFACTS, PHONE, assert_accessible
from bookings.tests.factories import make_booking, next_local
from slots.services import slots_sync_for_staff

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_customer_opens_the_reminder_link_sees_the_booking_and_cancels_it(browser, live_server, service, staff_member, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))
    page = browser.new_page(viewport=PHONE)
    page.goto(manage_url(booking))

    expect(page.locator('[data-field="service"]')).to_have_text(service.name)
    expect(page.locator('[data-field="staff"]')).to_have_text(staff_member.name)
    expect(page.locator('[data-field="status"]')).to_have_text("confirmed")
    # The secret left the address bar as soon as the page read it.
    assert "token" not in page.url
    page.screenshot(path=str(ARTIFACTS / "manage-phone.png"), full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel this booking").click()
    expect(page.locator("#manage-status")).to_contain_text("Your booking is cancelled.")
    expect(page.locator('[data-field="status"]')).to_have_text("cancelled")
    expect(page.get_by_role("button", name="Add to calendar")).to_be_hidden()
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELLED
    page.close()


def test_a_link_with_a_wrong_token_shows_nothing_of_the_booking(browser, live_server, service, staff_member):
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{live_server.url}/manage/{booking.reference}/#token=not-the-token")
    expect(page.locator("#manage-status")).to_contain_text("could not find this booking")
    expect(page.locator("#manage-details")).to_be_hidden()
    assert booking.customer_name not in page.content()
    page.close()


def test_customer_cancels_the_rest_of_a_standing_appointment(browser, live_server, service, staff_member, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    slots_sync_for_staff(staff_member=staff_member, days=30)
    booked = booking_book(
        salon=service.salon,
        service=service,
        staff_member=staff_member,
        start=next_local(service.salon, days=3),
        customer=Customer("Ana Silva", "+447911123456"),
        repeat=Repeat(every_weeks=1, count=3),
        actor=Actor.staff(None),
    )
    single = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=4))
    page = browser.new_page(viewport=PHONE)
    page.goto(manage_url(single))
    expect(page.locator('[data-field="status"]')).to_have_text("confirmed")
    expect(page.locator("#manage-series")).to_be_hidden()

    page.goto(manage_url(booked.bookings[1]))
    expect(page.locator("#manage-series")).to_be_visible()
    assert_accessible(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel all bookings ahead").click()
    expect(page.locator("#manage-status")).to_contain_text("3 bookings are cancelled.")
    expect(page.locator('[data-field="status"]')).to_have_text("cancelled")
    expect(page.locator("#manage-series")).to_be_hidden()
    assert set(Booking.objects.filter(series=booked.series).values_list("status", flat=True)) == {"cancelled"}
    assert Booking.objects.get(pk=single.pk).status == Booking.Status.CONFIRMED
    page.close()
