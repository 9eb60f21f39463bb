"""The customers and reports pages in a real headless Chromium, at a phone's
width: an owner finds a customer by a typed phone, reads their page, then
opens the reports. axe-core finds nothing, the CSP is never violated, and
screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from bookings.models import Booking, CustomerNote
from bookings.tests.browser import ARTIFACTS, assert_accessible
from bookings.tests.factories import add_booking
from salonbook.tests.csp import watch_csp
from salons.models import Salon, StaffMember
from salons.tests.factories import StaffMemberFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-pass"
PHONE_390 = {"width": 390, "height": 844}


@pytest.fixture
def demo(db):
    """The demo salon with an owner and a customer's past visits."""
    call_command("seed_demo", password=PASSWORD, stdout=open(os.devnull, "w"))
    salon = Salon.objects.get(slug="demo")
    user = UserFactory(username="salon-owner", password=PASSWORD)
    StaffMemberFactory(salon=salon, user=user, name="Olga Owner", role=StaffMember.Role.OWNER, hours=False)
    service, member = salon.services.first(), salon.staff.filter(user__isnull=True).first() or salon.staff.first()
    today = timezone.localdate(timezone=salon.tz)
    for days, status in [(40, Booking.Status.COMPLETED), (20, Booking.Status.COMPLETED), (10, Booking.Status.NO_SHOW)]:
        start = dt.datetime.combine(today - dt.timedelta(days=days), dt.time(11), tzinfo=salon.tz)
        add_booking(service=service, staff_member=member, start=start, status=status, name="Priya Shah", phone="+447911123499")
    # One more inside the report's last 30 days whatever the time of day (the
    # demo's own bookings start today only while the salon still has free times).
    start = dt.datetime.combine(today - dt.timedelta(days=5), dt.time(11), tzinfo=salon.tz)
    add_booking(service=service, staff_member=member, start=start, status=Booking.Status.COMPLETED, name="Tom Reyes", phone="+447911123488")
    CustomerNote.objects.create(salon=salon, customer_phone="+447911123499", note="Likes a quiet chair by the window")
    return salon



def test_owner_searches_a_customer_and_opens_reports_on_a_phone(browser, live_server, demo):
    context = browser.new_context(viewport=PHONE_390, locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    watch_csp(page, errors)
    page.goto(f"{live_server.url}/staff/login/")
    page.get_by_label("Username").fill("salon-owner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    expect(page.get_by_role("heading", name="Customers", level=1)).to_be_visible()
    page.get_by_label("Name or phone").fill("07911 123499")  # typed as a national number
    page.get_by_role("button", name="Search").click()
    row = page.get_by_role("row").filter(has_text="Priya Shah")
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(3)).to_have_text("2")  # visits
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "customers-search-phone.png"), full_page=True)

    row.get_by_role("link", name="Priya Shah").click()
    expect(page.get_by_role("heading", name="Priya Shah", level=1)).to_be_visible()
    expect(page.get_by_role("textbox", name="Staff note")).to_have_value("Likes a quiet chair by the window")
    expect(page.get_by_role("button", name="Export as JSON")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "customer-detail-phone.png"), full_page=True)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Utilisation per staff member")).to_be_visible()
    expect(page.get_by_role("link", name="Download CSV")).to_be_visible()
    # The charts were drawn by the page's own script file, not inline code.
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-hours') !== undefined")
    assert page.evaluate("() => Chart.getChart('chart-statuses').data.datasets[0].data.reduce((a, b) => a + b, 0)") >= 3
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "reports-phone.png"), full_page=True)

    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE_390["width"] + 1
    assert errors == []
    context.close()
