"""Every page answers with a Content-Security-Policy that allows no inline
script or style, and its HTML has none that the policy would block."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from bookings.tests.factories import make_booking, next_local
from salons.tests.factories import UserFactory
from slots.models import Slot
from slots.services import slot_block

pytestmark = pytest.mark.django_db

UNSAFE = ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:")


def policy_of(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict(response) -> None:
    """The policy forbids inline code, and the page needs none it forbids."""
    assert response.status_code == 200, (response.status_code, response.request["PATH_INFO"])
    directives = policy_of(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    for name in ("script-src", "style-src"):
        assert not set(directives[name]) & set(UNSAFE), (name, directives[name])
    nonces = {value for name in ("script-src", "style-src") for value in directives[name] if value.startswith("'nonce-")}
    html = response.content.decode()
    for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
        if "src=" in tag or 'type="application/json"' in tag:
            continue  # a file, or data the browser never runs (json_script)
        nonce = re.search(r'nonce="([^"]+)"', tag)
        assert nonce and f"'nonce-{nonce.group(1)}'" in nonces, f"inline {tag} without the page's nonce"
    assert not re.search(r"<[^>]+\sstyle=", html), "a style= attribute"
    assert not re.search(r"<[^>]+\son[a-z]+=", html), "an inline event handler"
    assert "javascript:" not in html


@pytest.fixture
def booking(service, staff_member):
    return make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=1))


@pytest.fixture
def staff_client(staff_of_salon) -> Client:
    client = Client()
    client.force_login(staff_of_salon)
    return client


@pytest.fixture
def admin_client_(db) -> Client:
    client = Client()
    client.force_login(UserFactory.create(username="root", is_staff=True, is_superuser=True))
    return client


def test_every_staff_page_has_a_strict_policy(staff_client, salon, booking):
    day = booking.start.astimezone(salon.tz).date().isoformat()
    lunch = Slot.objects.filter(staff_member=booking.staff_member, status=Slot.Status.AVAILABLE, start__date=booking.start.date()).last()
    slot_block(slot=lunch, reason="Lunch")
    pages = [
        f"/staff/salons/{salon.slug}/?date={day}",
        f"/staff/salons/{salon.slug}/book/?date={day}",
        f"/staff/salons/{salon.slug}/block/?date={day}",
        f"/staff/bookings/{booking.reference}/",
        f"/staff/bookings/{booking.reference}/reschedule/",
        f"/staff/salons/{salon.slug}/customers/?q=ana",
        f"/staff/salons/{salon.slug}/customers/{booking.reference}/",
        f"/staff/salons/{salon.slug}/reports/",
    ]
    for path in pages:
        assert_strict(staff_client.get(path))
    agenda = staff_client.get(pages[0]).content.decode()
    assert "Lunch" in agenda and booking.customer_name in agenda


def test_the_owners_customer_pages_have_a_strict_policy(admin_client_, salon, booking):
    for path in (
        f"/staff/salons/{salon.slug}/customers/{booking.reference}/",
        f"/staff/salons/{salon.slug}/customers/{booking.reference}/erase/",
    ):
        assert_strict(admin_client_.get(path))


def test_the_agenda_places_its_grid_from_a_style_with_the_pages_nonce(staff_client, salon, booking):
    response = staff_client.get(f"/staff/salons/{salon.slug}/?date={booking.start.astimezone(salon.tz).date()}")

    nonce = re.search(r'<style nonce="([^"]+)">(.*?)</style>', response.content.decode(), re.S)
    assert nonce and f"'nonce-{nonce.group(1)}'" in policy_of(response)["style-src"]
    assert "grid-template-rows" in nonce.group(2) and "grid-row" in nonce.group(2)


def test_a_nonce_is_new_for_every_response(staff_client, salon, booking):
    path = f"/staff/salons/{salon.slug}/?date={booking.start.astimezone(salon.tz).date()}"
    first, second = (policy_of(staff_client.get(path))["style-src"] for _ in range(2))
    assert first != second


def test_admins_pages_have_a_strict_policy(admin_client_, salon, booking):
    for path in ["/staff/salons/", "/staff/metrics/", "/admin/", "/admin/bookings/booking/", f"/admin/salons/salon/{salon.pk}/change/"]:
        assert_strict(admin_client_.get(path))


def test_login_manage_and_api_docs_have_a_strict_policy(client, booking):
    assert_strict(client.get("/staff/login/"))
    assert_strict(client.get("/admin/login/"))
    assert_strict(client.get(f"/manage/{booking.reference}/"))
    assert_strict(client.get("/api/docs/"))


def test_json_answers_get_a_policy_that_allows_nothing(client, salon):
    for path, status in ((f"/api/salons/{salon.slug}/", 200), ("/api/nowhere/", 404), ("/api/health/live", 200)):
        response = client.get(path)
        assert response.status_code == status
        assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'", path
