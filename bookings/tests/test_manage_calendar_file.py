"""The customer's "add to calendar" file of one booking, and the cut-off the manage page shows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from icalendar import Calendar

from bookings.tests.factories import make_booking, next_local
from salons.services import business_info_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(salon, service, staff_member):
    salon.address = "1 High Street, London"
    business_info_save(instance=salon)
    return make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=2, at=dt.time(11)))


def download(client, booking, token):
    url = reverse("manage-booking-ics", kwargs={"reference": booking.reference})
    return client.post(url, {"token": token} if token is not None else {})


def test_the_file_is_rfc_5545_with_the_bookings_time_place_and_uid(client, booking, salon, staff_member):
    response = download(client, booking, booking.manage_token)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="booking-{booking.reference}.ics"'
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["PRODID"])
    [event] = calendar.events
    assert event.start == booking.start and event.start.utcoffset() == dt.timedelta(0)
    assert event.end == booking.end
    assert str(event["SUMMARY"]) == f"Cut at {salon.name}"
    assert str(event["LOCATION"]) == f"{salon.name}, 1 High Street, London"
    assert str(event["UID"]) == f"{booking.reference}@salonbook"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert staff_member.name in str(event["DESCRIPTION"]) and salon.whatsapp_phone in str(event["DESCRIPTION"])
    # The secret stays with the customer: not in the file a calendar syncs on.
    assert booking.manage_token not in response.content.decode()


@pytest.mark.parametrize("token", ["not-the-token", "", None])
def test_a_wrong_or_missing_token_is_404(client, booking, token):
    assert download(client, booking, token).status_code == 404


def test_an_unknown_reference_is_404(client, booking):
    url = reverse("manage-booking-ics", kwargs={"reference": "nosuchreference"})
    assert client.post(url, {"token": booking.manage_token}).status_code == 404


def test_the_file_is_not_served_to_a_get_with_the_token_in_the_address(client, booking):
    url = reverse("manage-booking-ics", kwargs={"reference": booking.reference})
    assert client.get(url, {"token": booking.manage_token}).status_code == 405


def test_the_customer_api_says_until_when_changes_are_open_in_the_salons_zone(customer_client, booking, salon):
    response = customer_client.get(
        reverse("api-booking", kwargs={"reference": booking.reference}), HTTP_X_BOOKING_TOKEN=booking.manage_token
    )
    closes = dt.datetime.fromisoformat(response.json()["changes_close_at"])
    assert closes == booking.start - dt.timedelta(hours=salon.cancellation_cutoff_hours)
    assert closes.utcoffset() == booking.start.astimezone(salon.tz).utcoffset()
