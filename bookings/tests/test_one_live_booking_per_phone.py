"""One customer, one chair: a phone holds at most one live (pending or
confirmed) booking at one start at a salon. The database refuses the second
(``booking_one_live_per_phone_and_start``); every way of booking answers it
with 409 ``already_booked``, never a 500 and never a second booking with
another stylist.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from bookings import services
from bookings.booking_plans import Repeat, booking_book
from bookings.models import Booking
from bookings.services import Actor, Customer, booking_cancel, booking_reschedule
from bookings.tests.factories import add_booking, make_booking, next_local
from salonbook.errors import AlreadyBooked
from salonbook.tests.helpers import booking_body, error_of
from salonbook.tests.races import race
from salons.tests.factories import SalonFactory, ServiceFactory, StaffMemberFactory
from slots.services import slots_sync_for_staff

PHONE = "+447911123456"
MESSAGE = "This phone already has a booking at that time."
RACERS = 8


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATELIMIT_ENABLE = False


@pytest.fixture
def team(salon, service, staff_member):
    """Three stylists free for the cut: the salon's own and two more."""
    others = [StaffMemberFactory(salon=salon, services=[service], name=f"Stylist {n}") for n in range(2)]
    for member in others:
        slots_sync_for_staff(staff_member=member, days=5)
    return [staff_member, *others]


def _any_stylist(salon, service, start):
    # Any member makes the body; "staff": null asks for anyone free.
    return booking_body(salon=salon, service=service, staff_member=salon.staff.first(), start=start, staff=None)


@pytest.mark.django_db
def test_the_database_refuses_a_second_live_booking_of_one_phone_at_one_start(salon, service, team):
    start = next_local(salon, days=2, at=dt.time(10))
    add_booking(service=service, staff_member=team[0], start=start, phone=PHONE)
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        add_booking(service=service, staff_member=team[1], start=start, phone=PHONE)
    assert "booking_one_live_per_phone_and_start" in str(refused.value) or "customer_phone" in str(refused.value)


@pytest.mark.django_db
def test_cancelled_and_finished_bookings_and_other_salons_do_not_count(salon, service, team):
    start = next_local(salon, days=2, at=dt.time(10))
    for status in (Booking.Status.CANCELLED, Booking.Status.COMPLETED, Booking.Status.NO_SHOW):
        add_booking(service=service, staff_member=team[0], start=start, phone=PHONE, status=status)
    add_booking(service=service, staff_member=team[1], start=start, phone=PHONE)
    elsewhere = ServiceFactory(salon=SalonFactory(name="Elsewhere"))
    add_booking(service=elsewhere, staff_member=StaffMemberFactory(salon=elsewhere.salon), start=start, phone=PHONE)
    add_booking(service=service, staff_member=team[2], start=start, phone="+447911123457")
    assert Booking.objects.count() == 6


@pytest.mark.django_db
def test_any_stylist_sent_twice_without_a_key_books_once_and_answers_409(salon, service, team):
    body = _any_stylist(salon, service, next_local(salon, days=2, at=dt.time(10)))

    first = APIClient().post("/api/bookings/", body, format="json")
    second = APIClient().post("/api/bookings/", body, format="json")

    assert first.status_code == 201
    error = error_of(second, 409, "already_booked")
    assert error["message"] == MESSAGE
    assert error["details"] == {"customer_phone": [MESSAGE]}
    assert Booking.objects.count() == 1


@pytest.mark.django_db
def test_the_same_phone_with_another_stylist_at_that_start_is_409(salon, service, team):
    start = next_local(salon, days=2, at=dt.time(10))
    make_booking(service=service, staff_member=team[0], start=start, phone=PHONE)
    body = booking_body(salon=salon, service=service, staff_member=team[1], start=start)
    error_of(APIClient().post("/api/bookings/", body, format="json"), 409, "already_booked")
    assert Booking.objects.count() == 1


@pytest.mark.django_db
def test_the_database_decides_when_the_early_check_missed_the_first_booking(salon, service, team):
    """Two requests both past the read: the unique key refuses the second
    and its IntegrityError is the domain's ``already_booked``, not a 500 or
    a try with the next stylist."""
    start = next_local(salon, days=2, at=dt.time(10))
    make_booking(service=service, staff_member=team[0], start=start, phone=PHONE)
    with mock.patch.object(services, "_check_phone_free_at"):
        response = APIClient().post("/api/bookings/", _any_stylist(salon, service, start), format="json")
    error_of(response, 409, "already_booked")
    assert Booking.objects.count() == 1


@pytest.mark.django_db
def test_after_a_cancellation_the_customer_can_book_that_start_again(salon, service, team):
    start = next_local(salon, days=2, at=dt.time(10))
    booking_cancel(booking=make_booking(service=service, staff_member=team[0], start=start), actor=Actor.customer())
    assert APIClient().post("/api/bookings/", _any_stylist(salon, service, start), format="json").status_code == 201


@pytest.mark.django_db
def test_a_series_over_a_time_the_customer_already_has_books_nothing_and_names_it(salon, service, team):
    for member in team[1:]:
        slots_sync_for_staff(staff_member=member, days=30)
    start = next_local(salon, days=2, at=dt.time(10))
    make_booking(service=service, staff_member=team[2], start=start + dt.timedelta(weeks=1), phone=PHONE)
    with pytest.raises(AlreadyBooked) as refused:
        booking_book(
            salon=salon,
            service=service,
            staff_member=team[1],
            start=start,
            customer=Customer("Ana Silva", PHONE),
            repeat=Repeat(every_weeks=1, count=3),
            actor=Actor.system(),
        )
    assert refused.value.details["conflicts"] == [(start + dt.timedelta(weeks=1)).isoformat()]
    assert "nothing was booked" in refused.value.message.lower()
    assert Booking.objects.count() == 1


@pytest.mark.django_db
def test_moving_a_booking_onto_the_customers_other_booking_is_409(salon, service, team):
    ten, eleven = (next_local(salon, days=2, at=dt.time(hour)) for hour in (10, 11))
    make_booking(service=service, staff_member=team[0], start=ten, phone=PHONE)
    later = make_booking(service=service, staff_member=team[1], start=eleven, phone=PHONE)
    with pytest.raises(AlreadyBooked):
        booking_reschedule(booking=later, start=ten, actor=Actor.system())
    later.refresh_from_db()
    assert later.start == eleven


@pytest.mark.django_db(transaction=True)
def test_any_stylist_from_eight_clients_at_once_without_a_key_books_the_phone_once(
    postgres_only, salon, service, team
):
    """Three stylists are free: without the rule each could get the customer."""
    body = _any_stylist(salon, service, next_local(salon, days=2, at=dt.time(10)))

    def post() -> str:
        response = APIClient().post("/api/bookings/", body, format="json")
        return str(response.status_code)

    outcomes = race([post for _ in range(RACERS)])

    assert outcomes == Counter({"201": 1, "409": RACERS - 1}), outcomes
    assert Booking.objects.count() == 1
