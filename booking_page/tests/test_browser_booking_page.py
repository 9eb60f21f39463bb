"""A customer books on the salon's page in Chromium on a 390 px phone."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import json
import threading

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from bookings.messages.about import booking_subject
from bookings.models import Booking
from bookings.services import BookingRequest, Customer, booking_create
from bookings.tests.browser import ARTIFACTS, assert_accessible
from conftest import free_port
from messaging.models import Message
from salonbook.tests.csp import watch_csp
from slots.models import Slot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE_390 = {"width": 390, "height": 844}


def open_page(browser, url: str, locale: str = "en-GB"):
    context = browser.new_context(viewport=PHONE_390, locale=locale, timezone_id="America/New_York")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    watch_csp(page, errors)
    page.goto(url)
    return context, page, errors


def a_day_ahead(salon, days: int = 2) -> dt.date:
    return timezone.localdate(timezone=salon.tz) + dt.timedelta(days=days)


def choose_service_and_day(page, *, services: list[str], day: dt.date, stylist: str | None = None, check=True):
    """Steps 1-3: services, stylist ("any" unless named), the day."""
    for name in services:
        page.get_by_label(name).check()
    if check:
        assert_accessible(page)
    page.locator("#services-form button[type=submit]").click()
    expect(page.locator("#step-staff")).to_be_visible()
    if stylist:
        page.locator("#staff-fields select").first.select_option(label=stylist)
    if check:
        assert_accessible(page)
    page.locator("#staff-form button[type=submit]").click()
    expect(page.locator("#step-day")).to_be_visible()
    button = page.locator(f'.day[data-date="{day.isoformat()}"]')
    if not button.count():
        page.locator("#days .day").first.wait_for()
    if not button.count():
        page.locator("#month-next").click()
    button.wait_for()
    if check:
        assert_accessible(page)
    button.click()
    expect(page.locator("#step-time")).to_be_visible()


def fill_details(page, *, name="Marta Ruiz", phone="07400 123456"):
    page.locator("#name").fill(name)
    page.locator("#phone").fill(phone)
    page.locator("#email").fill("marta@example.com")


@pytest.mark.parametrize(
    ("locale", "heading", "booked", "sent"),
    [
        ("en-GB", "1. Choose your services", "You're booked!", "We've sent a WhatsApp confirmation"),
        ("es-ES", "1. Elige tus servicios", "¡Reservado!", "Te hemos enviado una confirmación por WhatsApp"),
    ],
)
def test_customer_books_one_service_with_any_stylist(
    browser, live_server, page_salon, settings, locale, heading, booked, sent
):
    settings.PUBLIC_BASE_URL = live_server.url
    day = a_day_ahead(page_salon)
    context, page, errors = open_page(browser, f"{live_server.url}/book/lumen/", locale)
    expect(page.locator("#services-title")).to_have_text(heading)
    expect(page.locator("h1")).to_have_text("Studio Lumen")
    choose_service_and_day(page, services=["Cut"], day=day)
    first = page.locator("#times .time").first
    expect(first).to_have_text("09:00")  # the salon's clock, not the phone's (New York)
    assert_accessible(page)
    first.click()
    expect(page.locator("#step-details")).to_be_visible()
    fill_details(page)
    assert_accessible(page)
    # Two clicks on "Book" in a row, the second before any answer: one booking.
    page.locator("#book").evaluate("button => { button.click(); button.click(); }")
    expect(page.locator("#done-title")).to_have_text(booked)
    expect(page.locator("#done-whatsapp")).to_contain_text(sent)
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / f"booking-page-{locale}.png"), full_page=True)

    booking = Booking.objects.get(salon=page_salon)
    start = timezone.localtime(booking.start, page_salon.tz)
    assert (start.date(), start.time()) == (day, dt.time(9))
    assert booking.customer_phone == "+447400123456"
    assert booking.staff_member in (page_salon.alice, page_salon.ben)
    # The confirmation to the customer is in the outbox, from the same service the API uses.
    assert Message.objects.filter(subject=booking_subject(booking.pk), to="+447400123456").exists()
    href = page.locator("#done-manage").get_attribute("href")
    assert href == f"/manage/{booking.reference}/#token={booking.manage_token}"
    assert errors == []
    context.close()


def test_a_time_taken_meanwhile_gets_a_message_and_the_nearest_free_times(browser, live_server, page_salon):
    day = a_day_ahead(page_salon)
    context, page, errors = open_page(browser, f"{live_server.url}/book/lumen/")
    choose_service_and_day(page, services=["Colour"], day=day, stylist="Alice", check=False)
    page.locator("#times .time", has_text="11:00").click()
    fill_details(page)
    # Someone else books 11:00 with Alice through the API between the steps.
    start = dt.datetime.combine(day, dt.time(11), tzinfo=page_salon.tz)
    taken = Client().post(
        "/api/bookings/",
        {
            "salon": "lumen",
            "service": page_salon.colour.pk,
            "staff": page_salon.alice.pk,
            "start": start.isoformat(),
            "customer_name": "Someone Else",
            "customer_phone": "+447912345678",
        },
        content_type="application/json",
    )
    assert taken.status_code == 201
    page.locator("#book").click()
    expect(page.locator("#status")).to_contain_text("someone has just booked that time")
    expect(page.locator("#step-time")).to_be_visible()
    nearest = page.locator("#times .time").all_text_contents()
    assert "11:00" not in nearest
    assert nearest == ["09:45", "10:00", "12:00", "12:15"]
    assert_accessible(page)
    page.locator("#times .time", has_text="12:00").click()
    page.locator("#book").click()
    expect(page.locator("#done-title")).to_have_text("You're booked!")
    assert Booking.objects.filter(customer_phone="+447400123456").count() == 1
    assert errors == []
    context.close()


def test_a_full_day_offers_the_waitlist(browser, live_server, page_salon):
    day = a_day_ahead(page_salon, days=3)
    local_day = (
        dt.datetime.combine(day, dt.time(0), tzinfo=page_salon.tz),
        dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=page_salon.tz),
    )
    Slot.objects.filter(salon=page_salon, start__gte=local_day[0], start__lt=local_day[1]).update(
        status=Slot.Status.BLOCKED
    )
    context, page, errors = open_page(browser, f"{live_server.url}/book/lumen/")
    choose_service_and_day(page, services=["Cut"], day=day, check=False)
    expect(page.locator("#times")).to_contain_text("No free times on this day.")
    expect(page.locator("#waitlist-form")).to_be_visible()
    assert_accessible(page)
    page.locator("#wl-name").fill("Marta Ruiz")
    page.locator("#wl-phone").fill("07400 123456")
    page.get_by_role("button", name="Join the waitlist").click()
    expect(page.locator("#status")).to_contain_text("You're on the waitlist")
    from waitlist.models import WaitlistEntry

    entry = WaitlistEntry.objects.get()
    assert (entry.date_from, entry.date_to, entry.customer_phone) == (day, day, "+447400123456")
    assert errors == []
    context.close()


def test_over_the_per_phone_limit_the_page_says_so_and_books_nothing(browser, live_server, page_salon):
    page_salon.online_bookings_per_phone = 1
    page_salon.save()
    booking_create(
        request=BookingRequest(
            salon=page_salon,
            service=page_salon.cut,
            staff_member=page_salon.ben,
            start=dt.datetime.combine(a_day_ahead(page_salon, 5), dt.time(10), tzinfo=page_salon.tz),
            customer=Customer("Marta Ruiz", "+447400123456"),
        ),
    )
    context, page, errors = open_page(browser, f"{live_server.url}/book/lumen/")
    choose_service_and_day(page, services=["Cut"], day=a_day_ahead(page_salon), check=False)
    page.locator("#times .time").first.click()
    fill_details(page)
    page.locator("#book").click()
    expect(page.locator("#status")).to_contain_text("already has the most upcoming bookings")
    assert_accessible(page)
    assert Booking.objects.count() == 1
    assert errors == []
    context.close()


def test_a_robot_that_fills_the_hidden_field_books_nothing(browser, live_server, page_salon):
    context, page, errors = open_page(browser, f"{live_server.url}/book/lumen/")
    choose_service_and_day(page, services=["Cut"], day=a_day_ahead(page_salon), check=False)
    page.locator("#times .time").first.click()
    fill_details(page)
    page.locator("#website").fill("http://spam.example", force=True)
    page.locator("#book").click()
    expect(page.locator("#status")).to_contain_text("We could not book this")
    assert Booking.objects.count() == 0
    assert errors == []
    context.close()


def test_the_page_carries_its_structured_data(browser, live_server, page_salon):
    context, page, errors = open_page(browser, f"{live_server.url}/book/lumen/")
    data = json.loads(page.locator('script[type="application/ld+json"]').text_content())
    assert data["@type"] == "HairSalon"
    assert data["name"] == "Studio Lumen"
    assert data["telephone"] == "+447911123000"
    assert data["address"]["streetAddress"] == "12 Mill Lane, Bristol"
    offers = {o["itemOffered"]["name"]: (o["price"], o["priceCurrency"]) for o in data["hasOfferCatalog"]["itemListElement"]}
    assert offers == {"Cut": ("35.00", "GBP"), "Colour": ("80.00", "GBP")}
    assert len(data["openingHoursSpecification"]) == 7
    assert errors == []
    context.close()


PARENT = "<!doctype html><html lang=en><title>Our salon</title><iframe title=Booking src='{src}'></iframe></html>"


@contextlib.contextmanager
def salon_site(frame_src: str):
    """The salon's own website: a page that frames ours, served from its own
    origin on a port the OS picks."""
    body = PARENT.format(src=frame_src).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("listed", [True, False])
def test_only_a_listed_site_may_frame_the_page(browser, live_server, page_salon, listed):
    with salon_site(f"{live_server.url}/book/lumen/") as site:
        page_salon.embed_origins = site if listed else "https://www.studio-lumen.example"
        page_salon.save()
        context = browser.new_context(viewport=PHONE_390)
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(site)
        frame = page.frame_locator("iframe")
        if listed:
            expect(frame.locator("h1")).to_have_text("Studio Lumen")
        else:
            page.wait_for_timeout(1000)
            expect(frame.locator("body")).not_to_contain_text("Studio Lumen")
            assert any("frame-ancestors" in text for text in console), console
        context.close()


def test_customer_books_colour_then_cut_with_any_stylist_in_spanish(browser, live_server, page_salon, settings):
    """A visit from the page: two services in a row, one booking, one confirmation."""
    settings.PUBLIC_BASE_URL = live_server.url
    day = a_day_ahead(page_salon)
    context, page, errors = open_page(browser, f"{live_server.url}/book/lumen/", "es-ES")
    choose_service_and_day(page, services=["Colour", "Cut"], day=day)
    first = page.locator("#times .time").first
    expect(first).to_have_text("09:00")
    first.click()
    fill_details(page)
    page.locator("#book").click()
    expect(page.locator("#done-title")).to_have_text("¡Reservado!")
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "booking-page-visit-es.png"), full_page=True)

    booking = Booking.objects.get(salon=page_salon)
    parts = list(booking.parts.order_by("position"))
    # Colour with Alice (the one who does it), then the cut when it ends.
    assert [(p.service, p.start.astimezone(page_salon.tz).time()) for p in parts] == [
        (page_salon.colour, dt.time(9)),
        (page_salon.cut, dt.time(10)),
    ]
    assert parts[0].staff_member == page_salon.alice
    confirmations = Message.objects.filter(
        subject=booking_subject(booking.pk), to="+447400123456", kind="booking_confirmed"
    )
    assert confirmations.count() == 1
    assert errors == []
    context.close()
