"""The cache as the API's customers see it: a cached availability request makes
no SQL query, a booking shows at once, and without Redis every request answers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from bookings.models import Booking
from bookings.signals import booking_created
from bookings.tests.factories import next_local

pytestmark = pytest.mark.django_db


def availability_url(service, day: dt.date) -> str:
    return f"/api/salons/{service.salon.slug}/availability/?date={day.isoformat()}&service={service.pk}"


def book(client, service, staff_member, start):
    return client.post(
        "/api/bookings/",
        {
            "salon": service.salon.slug,
            "service": service.pk,
            "staff": staff_member.pk,
            "start": start.isoformat(),
            "customer_name": "Ana Silva",
            "customer_phone": "+447911123456",
        },
        format="json",
    )


def starts(response) -> list[dt.datetime]:
    assert response.status_code == 200, response.content
    return [dt.datetime.fromisoformat(s["start"]) for s in response.json()["slots"]]


def test_cached_availability_request_makes_no_sql_query(
    redis_content_cache, service, staff_member, django_assert_num_queries
):
    client = APIClient()
    day = timezone.localdate(timezone=service.salon.tz) + dt.timedelta(days=1)
    first = client.get(availability_url(service, day))
    with django_assert_num_queries(0):
        second = client.get(availability_url(service, day))
    assert starts(first) == starts(second) != []


def test_booked_start_disappears_from_the_next_request(
    redis_content_cache, service, staff_member, django_capture_on_commit_callbacks
):
    client = APIClient()
    start = next_local(service.salon, at=dt.time(10))
    url = availability_url(service, start.date())
    assert start in starts(client.get(url))
    assert start in starts(client.get(url))  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        assert book(client, service, staff_member, start).status_code == 201
    assert start not in starts(client.get(url))


def test_every_request_answers_with_redis_on_a_closed_port(
    dead_content_cache, service, staff_member, django_capture_on_commit_callbacks
):
    client = APIClient()
    start = next_local(service.salon, at=dt.time(10))
    url = availability_url(service, start.date())
    assert client.get(f"/api/salons/{service.salon.slug}/").status_code == 200
    assert start in starts(client.get(url))
    with django_capture_on_commit_callbacks(execute=True):
        assert book(client, service, staff_member, start).status_code == 201
    assert start not in starts(client.get(url))


def test_failing_receiver_never_breaks_the_booking_request(service, staff_member, django_capture_on_commit_callbacks):
    def broken(sender, **kwargs):
        raise RuntimeError("receiver bug")

    booking_created.connect(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = book(APIClient(), service, staff_member, next_local(service.salon, at=dt.time(11)))
    finally:
        booking_created.disconnect(broken)
    assert response.status_code == 201, response.content
    assert Booking.objects.filter(reference=response.json()["reference"]).exists()


def test_a_renamed_salon_answers_fresh_under_either_name(
    redis_content_cache, service, staff_member, django_capture_on_commit_callbacks
):
    """Entries are named by slug; a rename must not bring back what an old
    name cached before a booking made under the new one."""
    from salons.services import salon_update

    client = APIClient()
    salon = service.salon
    first_name = salon.slug
    start = next_local(salon, at=dt.time(10))
    old = availability_url(service, start.date())
    assert start in starts(client.get(old))  # cached under the old name

    with django_capture_on_commit_callbacks(execute=True):
        salon_update(salon=salon, slug="renamed")
    assert client.get(old).status_code == 404
    new = availability_url(service, start.date())
    assert "/renamed/" in new and start in starts(client.get(new))
    with django_capture_on_commit_callbacks(execute=True):
        assert book(client, service, staff_member, start).status_code == 201
    assert start not in starts(client.get(new))

    with django_capture_on_commit_callbacks(execute=True):
        salon_update(salon=salon, slug=first_name)
    assert start not in starts(client.get(old))
