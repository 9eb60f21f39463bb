"""The customer directory: customers grouped by phone, searched, paged, in a
constant number of queries; and who may see which customer pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.customers import customer_directory
from bookings.models import Booking, CustomerNote
from bookings.tests.factories import add_booking
from salons.tests.factories import SalonFactory, ServiceFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db

S = Booking.Status
NOW = timezone.now()


def _at(days: int, hour: int = 10) -> dt.datetime:
    return (NOW + dt.timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


@pytest.fixture
def history(salon, service, staff_member):
    """Ana: five bookings (two visits, a no-show, a cancellation, one ahead), her name
    changed in the latest; Ben: one visit; the same phone as Ana's at another salon."""
    ana = "+447911123456"
    for days, status in [(-60, S.COMPLETED), (-30, S.COMPLETED), (-20, S.NO_SHOW), (-10, S.CANCELLED)]:
        add_booking(service=service, staff_member=staff_member, start=_at(days), status=status, phone=ana)
    add_booking(service=service, staff_member=staff_member, start=_at(5), name="Ana Silva-Reed", phone=ana)
    add_booking(service=service, staff_member=staff_member, start=_at(-5), status=S.COMPLETED, name="Ben Ode", phone="+447911654321")
    other = ServiceFactory(salon=SalonFactory(name="Elsewhere"))
    add_booking(service=other, staff_member=StaffMemberFactory(salon=other.salon, hours=False), start=_at(-1), phone=ana)
    CustomerNote.objects.create(salon=salon, customer_phone=ana, note="Prefers Tuesdays")
    return ana


def test_each_customer_once_with_counts_latest_name_last_visit_and_note(salon, history):
    rows = {row["customer_phone"]: row for row in customer_directory(salon=salon).object_list}

    assert set(rows) == {"+447911123456", "+447911654321"}
    ana = rows["+447911123456"]
    assert (ana["bookings"], ana["completed"], ana["no_shows"], ana["cancellations"]) == (5, 2, 1, 1)
    assert ana["name"] == "Ana Silva-Reed"
    assert ana["last_visit"] == _at(-30)
    assert ana["note"] == "Prefers Tuesdays"
    assert rows["+447911654321"]["note"] is None


def test_the_most_recently_booked_customer_comes_first(salon, history):
    assert [row["customer_phone"] for row in customer_directory(salon=salon).object_list] == [
        "+447911654321",
        "+447911123456",
    ]


@pytest.mark.parametrize("typed", ["silva", "ANA", "07911 123456", "+44 7911 123456", "123456"])
def test_search_by_name_or_phone_finds_the_customer_with_all_their_bookings(salon, history, typed):
    rows = list(customer_directory(salon=salon, query=typed).object_list)
    assert [row["customer_phone"] for row in rows] == ["+447911123456"]
    assert rows[0]["bookings"] == 5  # every booking counts, not only those whose name matched


def test_search_with_no_match_is_empty(salon, history):
    assert list(customer_directory(salon=salon, query="nobody")) == []


def test_pages_hold_twenty_five_customers(salon, service, staff_member):
    for n in range(30):
        add_booking(service=service, staff_member=staff_member, start=_at(-n - 1), phone=f"+4479111{n:05d}")
    first, second = customer_directory(salon=salon, page=1), customer_directory(salon=salon, page=2)
    assert (len(first.object_list), len(second.object_list), first.paginator.num_pages) == (25, 5, 2)
    assert not {r["customer_phone"] for r in first} & {r["customer_phone"] for r in second}


def _directory_queries(salon) -> int:
    with CaptureQueriesContext(connection) as queries:
        page = customer_directory(salon=salon)
        list(page.object_list)
        assert page.paginator.num_pages >= 1
    return len(queries)


def test_queries_do_not_grow_with_customers_or_bookings(salon, service, staff_member):
    add_booking(service=service, staff_member=staff_member, start=_at(-1), phone="+447911000001")
    few = _directory_queries(salon)
    for n in range(40):
        for days in (2, 3, 4):  # a day apart each: one staff member's bookings may not overlap
            add_booking(service=service, staff_member=staff_member, start=_at(-3 * n - days), phone=f"+4479112{n:05d}")
        CustomerNote.objects.create(salon=salon, customer_phone=f"+4479112{n:05d}", note="n")
    many = _directory_queries(salon)
    assert few == many == 2  # the count and the page


# --- The pages -------------------------------------------------------------------------


def _list_url(salon, **query):
    return reverse("staff:customers", kwargs={"slug": salon.slug}) + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _detail_url(salon, booking):
    return reverse("staff:customer", kwargs={"slug": salon.slug, "reference": booking.reference})


def _ana_booking(salon, phone):
    return Booking.objects.filter(salon=salon, customer_phone=phone).first()


def test_owner_sees_directory_and_customer_with_edit_erase_export(client, salon, history, owner_of_salon):
    client.force_login(owner_of_salon)
    body = client.get(_list_url(salon, q="silva")).content.decode()
    assert "Ana Silva-Reed" in body and "Ben Ode" not in body
    page = client.get(_detail_url(salon, _ana_booking(salon, history)))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Prefers Tuesdays" in body and "Save note" in body
    assert "Export as JSON" in body and "Erase customer" in body


def test_stylist_sees_customer_read_only(client, salon, history, staff_of_salon):
    client.force_login(staff_of_salon)
    assert client.get(_list_url(salon)).status_code == 200
    body = client.get(_detail_url(salon, _ana_booking(salon, history))).content.decode()
    assert "Prefers Tuesdays" in body
    assert "Save note" not in body and "Export as JSON" not in body and "Erase customer" not in body


def test_stylist_cannot_change_note(client, salon, history, staff_of_salon):
    client.force_login(staff_of_salon)
    booking = _ana_booking(salon, history)
    url = reverse("staff:customer_note", kwargs={"slug": salon.slug, "reference": booking.reference})
    assert client.post(url, {"note": "changed"}).status_code == 403
    assert CustomerNote.objects.get(salon=salon, customer_phone=history).note == "Prefers Tuesdays"


def test_owner_edits_and_clears_the_note(client, salon, history, owner_of_salon):
    client.force_login(owner_of_salon)
    booking = _ana_booking(salon, history)
    url = reverse("staff:customer_note", kwargs={"slug": salon.slug, "reference": booking.reference})
    assert client.post(url, {"note": "Allergic to ammonia"}).status_code == 302
    assert CustomerNote.objects.get(salon=salon, customer_phone=history).note == "Allergic to ammonia"
    client.post(url, {"note": ""})
    assert not CustomerNote.objects.filter(salon=salon, customer_phone=history).exists()
    assert client.post(url, {"note": "x" * 2001}).status_code == 400


def test_another_salons_staff_get_404(client, salon, history, staff_of_other_salon):
    client.force_login(staff_of_other_salon)
    assert client.get(_list_url(salon)).status_code == 404
    assert client.get(_detail_url(salon, _ana_booking(salon, history))).status_code == 404


def test_a_booking_of_another_salon_is_no_customer_here(client, salon, history, owner_of_salon):
    client.force_login(owner_of_salon)
    elsewhere = Booking.objects.exclude(salon=salon).get()
    assert client.get(_detail_url(salon, elsewhere)).status_code == 404


def test_anonymous_goes_to_login(client, salon, history):
    response = client.get(_list_url(salon))
    assert response.status_code == 302 and "/staff/login/" in response["Location"]


def test_directory_page_queries_do_not_grow(client, salon, service, staff_member, owner_of_salon):
    client.force_login(owner_of_salon)
    add_booking(service=service, staff_member=staff_member, start=_at(-1), phone="+447911000001")
    client.get(_list_url(salon))  # the session is warm
    with CaptureQueriesContext(connection) as few:
        assert client.get(_list_url(salon)).status_code == 200
    for n in range(30):
        add_booking(service=service, staff_member=staff_member, start=_at(-2 - n), phone=f"+4479113{n:05d}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(_list_url(salon)).status_code == 200
    # session, user, staff member, salon; the count and the page
    assert len(few) == len(many) <= 6
