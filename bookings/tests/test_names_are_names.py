"""A person's name holds no control or direction characters (refused with
the field named), and a report's CSV never hands a spreadsheet a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from bookings.models import Booking
from bookings.tests.factories import next_local
from salonbook.tests.helpers import booking_body, client_for, error_of
from salons.models import StaffMember
from salons.tests.factories import StaffMemberFactory
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db

BAD_NAMES = ["Ana\nSilva", "Ana\rSilva", "Ana\u2028Silva", "\u202eavlis ana", "Ana\u2066x\u2069", "Ana\x07", "Ana\tSilva"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_api_booking_refuses_a_name_with_controls_on_that_field(salon, service, staff_member, name):
    body = booking_body(salon=salon, service=service, staff_member=staff_member, start=next_local(salon), customer_name=name)
    error = error_of(client_for().post("/api/bookings/", body, format="json"), 400)
    assert set(error["details"]) == {"customer_name"}
    assert not Booking.objects.exists()


def test_api_booking_takes_names_from_anywhere(salon, service, staff_member):
    name = "Zoë O'Neil-Åberg 李小龍 محمد"
    body = booking_body(salon=salon, service=service, staff_member=staff_member, start=next_local(salon), customer_name=name)
    response = client_for().post("/api/bookings/", body, format="json")
    assert response.status_code == 201, response.content
    assert Booking.objects.get().customer_name == name


@pytest.mark.parametrize("name", ["Wait\nIng", "\u202eWait"])
def test_waitlist_join_refuses_a_name_with_controls(salon, service, staff_member, name):
    day = next_local(salon).date().isoformat()
    body = {"service": service.pk, "date_from": day, "date_to": day, "customer_name": name, "customer_phone": "+447911123456"}
    error = error_of(client_for().post(f"/api/salons/{salon.slug}/waitlist/", body, format="json"), 400)
    assert set(error["details"]) == {"customer_name"}
    assert not WaitlistEntry.objects.exists()


def test_desk_booking_shows_the_name_error_next_to_the_field(client, salon, service, staff_member, staff_of_salon):
    from desk.forms import DeskBookingForm

    client.force_login(staff_of_salon)
    when = next_local(salon, at=dt.time(10))
    response = client.post(
        reverse("staff:desk_booking", kwargs={"slug": salon.slug}),
        {
            "action": "book",
            "service": service.pk,
            "staff": staff_member.pk,
            "date": when.date().isoformat(),
            "start": DeskBookingForm.start_value(staff_member.pk, when),
            "customer_name": "Walk\nIn",
            "customer_phone": "07911 123457",
        },
    )
    assert response.status_code in (200, 400)
    assert "customer_name" in response.context["form"].errors
    assert not Booking.objects.exists()


def test_back_office_refuses_a_staff_name_with_direction_controls(client, salon, owner_of_salon):
    client.force_login(owner_of_salon)
    response = client.post(
        reverse("staff:backoffice_staff", kwargs={"slug": salon.slug}), {"name": "Mia\u202e", "role": "stylist"}
    )
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert not StaffMember.objects.filter(name__startswith="Mia").exists()


def test_report_csv_escapes_cells_a_spreadsheet_would_evaluate(client, salon, owner_of_salon):
    for name in ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)"]:
        StaffMemberFactory(salon=salon, name=name)
    client.force_login(owner_of_salon)
    response = client.get(reverse("staff:reports", kwargs={"slug": salon.slug}), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    cells = [cell for row in rows for cell in row]
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in cells and "'+1+1" in cells and "'@SUM(A1)" in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
