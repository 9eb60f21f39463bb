"""At most the salon's number of upcoming online bookings per phone, and the
honeypot field the booking page hides from people."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from bookings.models import Booking
from bookings.services import Actor, BookingRequest, Customer, booking_cancel, booking_create
from bookings.tests.factories import make_booking, next_local
from salonbook.errors import TooManyBookings
from salons.tests.factories import SalonFactory, ServiceFactory, StaffMemberFactory
from slots.services import slots_sync_for_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def limited(service, staff_member):
    salon = service.salon
    salon.online_bookings_per_phone = 2
    salon.save()
    return salon


def book(service, staff_member, hours: int, *, phone="+447911123456", actor=None, now=None):
    return booking_create(
        request=BookingRequest(
            salon=service.salon,
            service=service,
            staff_member=staff_member,
            start=next_local(service.salon, days=3) + dt.timedelta(hours=hours),
            customer=Customer("Ana Silva", phone),
        ),
        actor=actor or Actor.customer(),
        now=now,
    )


def test_one_more_online_booking_than_the_salon_takes_is_refused(limited, service, staff_member):
    book(service, staff_member, 0)
    book(service, staff_member, 1, phone="07911 123456")  # the same phone, written the national way
    with pytest.raises(TooManyBookings):
        book(service, staff_member, 2)
    assert Booking.objects.count() == 2


def test_another_phone_and_bookings_made_by_staff_are_not_held_to_it(limited, service, staff_member):
    book(service, staff_member, 0, actor=Actor.staff(None))
    book(service, staff_member, 1, actor=Actor.staff(None))
    book(service, staff_member, 2)
    book(service, staff_member, 3)
    book(service, staff_member, 4, phone="+447400123456")
    assert Booking.objects.count() == 5


def test_cancelled_and_past_bookings_free_the_place(limited, service, staff_member):
    first = book(service, staff_member, 0)
    book(service, staff_member, 1)
    booking_cancel(booking=first, actor=Actor.customer())
    book(service, staff_member, 2)
    # Seen from after those starts, none of them is upcoming any more.
    later = next_local(service.salon, days=3) + dt.timedelta(hours=3)
    book(service, staff_member, 4, now=later)
    book(service, staff_member, 5, now=later)
    assert Booking.objects.filter(status=Booking.Status.CONFIRMED).count() == 4


def test_bookings_at_another_salon_do_not_count(limited, service, staff_member):
    other = SalonFactory(online_bookings_per_phone=1)
    other_service = ServiceFactory(salon=other)
    other_member = StaffMemberFactory(salon=other, services=[other_service])
    slots_sync_for_staff(staff_member=other_member, days=7)
    book(other_service, other_member, 0)
    book(service, staff_member, 0)
    book(service, staff_member, 1)
    assert Booking.objects.count() == 3


def test_the_api_answers_409_in_the_envelope_over_the_limit(limited, service, staff_member):
    client = APIClient()
    answers = []
    for hours in (0, 1, 2):
        answers.append(
            client.post(
                "/api/bookings/",
                {
                    "salon": service.salon.slug,
                    "service": service.pk,
                    "start": (next_local(service.salon) + dt.timedelta(hours=hours)).isoformat(),
                    "customer_name": "Ana Silva",
                    "customer_phone": "+447911123456",
                },
                format="json",
            )
        )
    assert [a.status_code for a in answers] == [201, 201, 409]
    assert answers[2].json()["error"]["code"] == "too_many_bookings"
    assert answers[2].json()["error"]["details"] == {"limit": 2}


def test_a_filled_honeypot_field_books_nothing(service, staff_member):
    body = {
        "salon": service.salon.slug,
        "service": service.pk,
        "start": next_local(service.salon).isoformat(),
        "customer_name": "Ana Silva",
        "customer_phone": "+447911123456",
    }
    refused = APIClient().post("/api/bookings/", {**body, "website": "http://spam.example"}, format="json")
    assert refused.status_code == 400
    assert "website" in refused.json()["error"]["details"]
    assert Booking.objects.count() == 0
    assert APIClient().post("/api/bookings/", {**body, "website": ""}, format="json").status_code == 201


@pytest.mark.django_db(transaction=True)
def test_concurrent_online_bookings_of_one_phone_stop_at_the_limit(postgres_only, service, staff_member):
    service.salon.online_bookings_per_phone = 2
    service.salon.save(update_fields=["online_bookings_per_phone"])
    starts = [next_local(service.salon, days=2, at=dt.time(9 + n)) for n in range(6)]
    barrier = threading.Barrier(len(starts))

    def book(start):
        barrier.wait()
        try:
            make_booking(service=service, staff_member=staff_member, start=start, phone="+447911000777")
            return "booked"
        except TooManyBookings:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(len(starts)) as pool:
        outcomes = sorted(pool.map(book, starts))
    assert outcomes.count("booked") == 2, outcomes
