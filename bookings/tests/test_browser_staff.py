"""The staff pages and the admins' metrics view in a real headless Chromium.

Chromium (``bookings.tests.browser``) against a live server. Screenshots of
the agenda and the metrics view, at desktop and phone width, are saved in
``test-artifacts/``.
"""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from bookings.models import Booking
from bookings.services import Actor, BookingRequest, Customer, booking_create
from bookings.tests.browser import ARTIFACTS, DESKTOP, PHONE, assert_accessible, demo_working_day
from salonbook.tests.csp import watch_csp
from salons.models import Salon
from salons.services import business_info_save
from slots.availability import availability_for_day
from slots.models import Slot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-pass"


@pytest.fixture
def demo(db):
    """The demo salon, plus a day of bookings: one waiting for confirmation."""
    call_command("seed_demo", password=PASSWORD, stdout=open(os.devnull, "w"))
    salon = Salon.objects.get(slug="demo")
    day = demo_working_day(salon)
    services = {s.name: s for s in salon.services.all()}
    staff = {m.name: m for m in salon.staff.all()}
    made: dict[str, Booking] = {}
    plan = [
        ("Olivia Reed", "+447911123411", "Cut & Finish", "Alice Martin", dt.time(9, 30), True),
        ("Jack Wilson", "+447911123412", "Colour", "Chloe Dubois", dt.time(10, 0), True),
        ("Amara Okoye", "+447911123413", "Beard Trim", "Ben Okafor", dt.time(11, 0), True),
        ("Sam Carter", "+447911123404", "Blow Dry", "Alice Martin", dt.time(15, 0), False),
        ("Lena Novak", "+447911123405", "Cut & Finish", "Ben Okafor", dt.time(16, 0), True),
    ]
    for name, phone, service_name, staff_name, at, auto in plan:
        salon.auto_confirm = auto
        business_info_save(instance=salon)
        start = dt.datetime.combine(day, at, tzinfo=salon.tz)
        service, member = services[service_name], staff[staff_name]
        free = {f.start for f in availability_for_day(salon=salon, day=day, service=service, staff_member_id=member.pk)}
        if start not in free:  # a seeded sample booking took it: the next free start
            start = min(f for f in free if f > start)
        made[name] = booking_create(
            request=BookingRequest(
                salon=salon,
                service=service,
                staff_member=member,
                start=start,
                customer=Customer(name, phone),
            ),
            actor=Actor.system(),
        )
    salon.auto_confirm = True
    business_info_save(instance=salon)
    return {"salon": salon, "day": day, "bookings": made}


def _hour_slots(salon: Salon, staff_name: str, day: dt.date, hour: int):
    return Slot.objects.filter(
        staff_member__name=staff_name,
        start__gte=dt.datetime.combine(day, dt.time(hour), tzinfo=salon.tz),
        start__lt=dt.datetime.combine(day, dt.time(hour + 1), tzinfo=salon.tz),
    )


def _free_hour(salon: Salon, staff_name: str, day: dt.date, hour: int) -> bool:
    statuses = list(_hour_slots(salon, staff_name, day, hour).values_list("status", flat=True))
    return len(statuses) == 60 // salon.slot_minutes and set(statuses) == {Slot.Status.AVAILABLE}


def _log_in(browser, live_server, username: str, viewport: dict):
    context = browser.new_context(viewport=viewport, locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    watch_csp(page, errors)
    page.goto(f"{live_server.url}/staff/")
    assert "/staff/login/" in page.url
    assert_accessible(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    page.js_errors = errors
    return context, page


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)



def test_front_desk_day(browser, live_server, demo):
    salon, day = demo["salon"], demo["day"]
    context, page = _log_in(browser, live_server, "staff", DESKTOP)

    # Today's agenda is where staff land.
    today = timezone.localdate(timezone=salon.tz)
    assert page.url.endswith(f"/staff/salons/{salon.slug}/")
    heading = page.get_by_role("heading", level=1)
    assert today.strftime("%B") in heading.inner_text() and str(today.day) in heading.inner_text()
    expect(page.get_by_text("Today", exact=True).first).to_be_visible()

    # The working day with bookings, through the date picker.
    page.locator("#agenda-date").fill(day.isoformat())
    page.wait_for_url(re.compile(rf"date={day.isoformat()}"))
    grid = page.get_by_role("region", name=re.compile("Agenda for"))
    for name in ("Olivia Reed", "Jack Wilson", "Amara Okoye", "Sam Carter"):
        expect(grid.get_by_text(name).first).to_be_visible()
    expect(page.get_by_role("heading", name="Waiting for confirmation")).to_be_visible()
    assert_accessible(page)

    # Confirm the pending booking from its page.
    page.get_by_role("link", name=re.compile("Sam Carter")).first.click()
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("status").filter(has_text="booking confirmed")).to_be_visible()
    expect(page.locator(".badge").first).to_have_text("Confirmed")
    assert_accessible(page)
    assert Booking.objects.get(pk=demo["bookings"]["Sam Carter"].pk).status == Booking.Status.CONFIRMED

    # Cancel another, with a reason.
    page.goto(f"{live_server.url}/staff/bookings/{demo['bookings']['Lena Novak'].reference}/")
    page.get_by_text("Cancel this booking…").click()
    page.get_by_label("Reason (optional)").fill("Customer phoned to cancel")
    page.get_by_role("button", name="Cancel booking").click()
    expect(page.get_by_role("status").filter(has_text="booking cancelled")).to_be_visible()
    assert Booking.objects.get(pk=demo["bookings"]["Lena Novak"].pk).status == Booking.Status.CANCELLED
    assert page.get_by_role("button", name="Cancel booking").count() == 0

    # Move another to the first free time of the day.
    olivia = demo["bookings"]["Olivia Reed"]
    page.goto(f"{live_server.url}/staff/bookings/{olivia.reference}/")
    page.get_by_role("link", name="Move to another time").click()
    assert_accessible(page)
    new_time = page.locator("#free-times .time-pill").first
    new_label = new_time.inner_text().strip()
    new_time.click()
    page.get_by_role("button", name="Move booking").click()
    expect(page.get_by_role("status").filter(has_text="Moved Olivia Reed")).to_be_visible()
    olivia.refresh_from_db()
    assert timezone.localtime(olivia.start, salon.tz).strftime("%H:%M") == new_label
    assert olivia.status == Booking.Status.CONFIRMED

    # Take a desk booking: service, then a free time, then the customer.
    page.goto(f"{live_server.url}/staff/salons/{salon.slug}/book/?date={day.isoformat()}")
    page.get_by_label("Service").select_option(label="Blow Dry (30 min)")
    page.get_by_label("Staff member").select_option(label="Alice Martin")
    expect(page.locator("#free-times h2")).to_have_text(["Alice Martin"])
    first_free = page.locator("#free-times .time-pill").first
    chosen = first_free.inner_text().strip()
    first_free.click()
    page.get_by_label("Customer name").fill("Priya Shah")
    page.get_by_label("Mobile number").fill("07911 123499")
    _shot(page, "desk-booking-desktop")
    assert_accessible(page)
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Booked Priya Shah")).to_be_visible()
    desk = Booking.objects.get(customer_name="Priya Shah")
    assert desk.customer_phone == "+447911123499" and desk.history.first().actor == "staff"
    assert timezone.localtime(desk.start, salon.tz).strftime("%H:%M") == chosen
    assert page.get_by_role("link", name=re.compile("WhatsApp")).get_attribute("href").startswith("https://wa.me/447911123499")

    # Block an hour of Ben's time from the agenda: one that nothing has booked.
    hour = next(h for h in range(12, 19) if _free_hour(salon, "Ben Okafor", day, h))
    page.goto(f"{live_server.url}/staff/salons/{salon.slug}/?date={day.isoformat()}")
    page.get_by_role("link", name="Block time for Ben Okafor").click()
    assert_accessible(page)
    page.get_by_label("From").fill(f"{hour:02d}:00")
    page.get_by_label("Until").fill(f"{hour + 1:02d}:00")
    page.get_by_label("Reason (optional)").fill("Lunch")
    page.get_by_role("button", name="Block time").click()
    expect(page.get_by_role("status").filter(has_text="Blocked 60 minutes")).to_be_visible()
    expect(page.locator(".block.blocked").filter(has_text="Lunch")).to_be_visible()
    assert set(_hour_slots(salon, "Ben Okafor", day, hour).values_list("status", flat=True)) == {Slot.Status.BLOCKED}

    _shot(page, "agenda-desktop")
    page.set_viewport_size(PHONE)
    _shot(page, "agenda-phone")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"], "the agenda page must not scroll sideways on a phone"
    assert_accessible(page)
    page.goto(f"{live_server.url}/staff/bookings/{desk.reference}/")
    _shot(page, "booking-phone")
    assert page.js_errors == []
    context.close()


def test_admin_metrics_view(browser, live_server, demo):
    context, page = _log_in(browser, live_server, "admin", DESKTOP)
    # Admins reach it from Django admin.
    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="Metrics and health").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name="Metrics and health")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Health"))).to_be_visible()
    for canvas in ("chart-bookings", "chart-latency", "chart-messages", "chart-events"):
        drawn = page.evaluate(f"() => !!(window.Chart && Chart.getChart('{canvas}'))")
        assert drawn, f"{canvas} was not drawn"
    _shot(page, "metrics-desktop")
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)  # charts resize to the new width
    _shot(page, "metrics-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.js_errors == []
    context.close()


def test_staff_cannot_open_the_metrics_view(browser, live_server, demo):
    context, page = _log_in(browser, live_server, "staff", PHONE)
    response = page.goto(f"{live_server.url}/staff/metrics/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You can't open this page")).to_be_visible()
    context.close()
