"""The waitlist API: join, read with the token, claim, decline, leave."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bookings.models import Booking
from bookings.services import Actor, booking_cancel
from bookings.tests.factories import make_booking, next_local
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db


def _body(service, **changes):
    day = timezone.localdate(timezone=service.salon.tz) + dt.timedelta(days=2)
    body = {
        "service": service.pk,
        "date_from": day.isoformat(),
        "date_to": day.isoformat(),
        "earliest": "09:00",
        "latest": "12:00",
        "customer_name": "Ana Silva",
        "customer_phone": "+447911123456",
    }
    body.update(changes)
    return body


def _join(client, service, **changes):
    return client.post(f"/api/salons/{service.salon.slug}/waitlist/", _body(service, **changes), format="json")


def test_join_answers_201_with_reference_and_token(customer_client, service, staff_member):
    response = _join(customer_client, service)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "waiting" and body["manage_token"] and body["earliest"] == "09:00"
    assert WaitlistEntry.objects.get(reference=body["reference"]).customer_phone == "+447911123456"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"customer_phone": "not a phone"}, "customer_phone"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"earliest": "13:00", "latest": "12:00"}, "latest"),
        ({"service": 999999}, "service"),
    ],
)
def test_bad_input_is_400_with_the_field(customer_client, service, staff_member, changes, field):
    response = customer_client.post(
        f"/api/salons/{service.salon.slug}/waitlist/", {**_body(service), **changes}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


def test_a_range_in_the_past_or_past_the_window_is_refused(customer_client, service, staff_member, salon):
    today = timezone.localdate(timezone=salon.tz)
    past = _join(customer_client, service, date_from=(today - dt.timedelta(days=3)).isoformat(),
                 date_to=(today - dt.timedelta(days=1)).isoformat())
    assert past.status_code == 400 and "date_from" in past.json()["error"]["details"]
    far = (today + dt.timedelta(days=salon.booking_window_days + 5)).isoformat()
    too_long = _join(customer_client, service, date_to=far)
    assert too_long.status_code == 400 and too_long.json()["error"]["code"] == "outside_booking_window"


def test_read_needs_the_token(customer_client, service, staff_member):
    body = _join(customer_client, service).json()
    url = f"/api/waitlist/{body['reference']}/"
    assert customer_client.get(url).status_code == 404
    assert customer_client.get(url, HTTP_X_WAITLIST_TOKEN="wrong").status_code == 404
    assert customer_client.get(url, HTTP_X_WAITLIST_TOKEN=body["manage_token"]).json()["status"] == "waiting"


def test_offer_shown_then_claimed_once_and_a_replay_reveals_nothing(customer_client, service, staff_member, salon):
    booked = make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=2, at=dt.time(10)))
    body = _join(customer_client, service).json()
    booking_cancel(booking=booked, actor=Actor.customer())
    headers = {"HTTP_X_WAITLIST_TOKEN": body["manage_token"]}
    shown = customer_client.get(f"/api/waitlist/{body['reference']}/", **headers).json()
    assert shown["status"] == "offered"
    assert dt.datetime.fromisoformat(shown["offer"]["start"]) == booked.start
    first = customer_client.post(f"/api/waitlist/{body['reference']}/claim/", **headers)
    second = customer_client.post(f"/api/waitlist/{body['reference']}/claim/", **headers)
    assert first.status_code == 201 and first.json()["manage_token"]
    assert second.status_code == 409 and second.json()["error"]["code"] == "offer_claimed"
    assert first.json()["manage_token"] not in second.content.decode()
    booking_cancel(booking=Booking.objects.get(reference=first.json()["reference"]), actor=Actor.customer())
    again = customer_client.post(f"/api/waitlist/{body['reference']}/claim/", **headers)
    assert again.status_code == 409 and first.json()["manage_token"] not in again.content.decode()
    assert Booking.objects.filter(customer_phone="+447911123456").count() == 2  # the cancelled one and the claim's
    assert customer_client.get(f"/api/waitlist/{body['reference']}/", **headers).json()["status"] == "booked"


def test_claim_without_an_offer_is_409(customer_client, service, staff_member):
    body = _join(customer_client, service).json()
    response = customer_client.post(
        f"/api/waitlist/{body['reference']}/claim/", HTTP_X_WAITLIST_TOKEN=body["manage_token"]
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "offer_not_live"


def test_leave(customer_client, service, staff_member):
    body = _join(customer_client, service).json()
    response = customer_client.post(
        f"/api/waitlist/{body['reference']}/leave/", HTTP_X_WAITLIST_TOKEN=body["manage_token"]
    )
    assert response.status_code == 200 and response.json()["status"] == "left"


def test_joins_are_rate_limited_like_bookings(customer_client, service, staff_member, settings):
    settings.RATE_LIMIT_BOOKINGS = "2/m"
    codes = [_join(customer_client, service).status_code for _ in range(3)]
    assert codes[:2] == [201, 201] and codes[2] == 429
