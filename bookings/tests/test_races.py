"""Many customers racing for the same time: exactly one wins.

These run on whichever database the suite runs on: SQLite in the embedded
run, PostgreSQL in the services run (where the row locks and the unique key
on a slot's hold do the work).
"""

import datetime as dt
from collections import Counter

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings.booking_plans import booking_create_with_anyone
from bookings.models import Booking
from bookings.services import Actor, BookingRequest, Customer, booking_cancel, booking_create
from bookings.tests.factories import next_local
from salonbook.errors import SlotUnavailable
from salonbook.tests.races import labelled, race
from salons.tests.factories import SalonFactory, ServiceFactory, StaffMemberFactory
from slots.holds import Holder, held_slots
from slots.models import Hold, Slot
from slots.services import slots_sync_for_staff


def _race(calls):
    return race(calls, refused={SlotUnavailable: "taken"})


def _phone(n):
    """Each racer is a customer of their own: one phone has one booking at a start."""
    return f"+447911{n:06d}"


def _book(service, member, start, n):
    return labelled(
        "booked",
        lambda: booking_create(
            request=BookingRequest(
                salon=service.salon,
                service=service,
                staff_member=member,
                start=start,
                customer=Customer(f"Racer {n}", _phone(n)),
            ),
        ),
    )


@pytest.fixture
def setup(transactional_db):
    salon = SalonFactory()
    cut = ServiceFactory(salon=salon, duration_minutes=30)
    colour = ServiceFactory(salon=salon, duration_minutes=60)
    member = StaffMemberFactory(salon=salon, services=[cut, colour], hours=(dt.time(9), dt.time(17)))
    slots_sync_for_staff(staff_member=member, days=4)
    return salon, cut, colour, member


def test_fifty_clients_racing_for_one_slot_make_one_booking(setup):
    salon, cut, _, member = setup
    start = next_local(salon, days=2, at=dt.time(10))
    outcomes = _race([_book(cut, member, start, n) for n in range(50)])
    assert outcomes == Counter({"booked": 1, "taken": 49})
    assert Booking.objects.count() == 1
    assert Hold.objects.filter(kind=Hold.Kind.BOOKING).count() == 2


def test_overlapping_multi_slot_bookings_racing_make_one_booking(setup):
    salon, _, colour, member = setup
    for round_number in range(5):
        # 10:00-11:00 and 10:45-11:45 share the 10:45 slot.
        at = dt.time(10 + round_number)
        first = next_local(salon, days=2, at=at)
        second = first + dt.timedelta(minutes=45)
        calls = [_book(colour, member, first if n % 2 else second, n) for n in range(20)]
        outcomes = _race(calls)
        assert outcomes == Counter({"booked": 1, "taken": 19}), f"round {round_number}"
        # Free the day for the next round: cancel what was booked.
        for booking in Booking.objects.filter(status="confirmed"):
            booking_cancel(booking=booking, actor=Actor.system())
    assert Booking.objects.filter(status="cancelled").count() == 5
    assert not Slot.objects.filter(status=Slot.Status.BOOKED).exists()


def test_one_slot_cannot_be_held_twice_even_bypassing_the_services(setup):
    salon, cut, _, member = setup
    start = next_local(salon, days=2, at=dt.time(10))
    booking = booking_create(
        request=BookingRequest(
            salon=salon,
            service=cut,
            staff_member=member,
            start=start,
            customer=Customer("A", "+447911123456"),
        ),
    )
    other = booking_create(
        request=BookingRequest(
            salon=salon,
            service=cut,
            staff_member=member,
            start=start + dt.timedelta(hours=2),
            customer=Customer("B", "+447911123457"),
        ),
    )
    held = held_slots(Holder.booking(booking.pk)).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Hold.objects.create(salon=salon, slot=held, kind=Hold.Kind.BOOKING, holder_id=other.pk)


def test_fifty_anyone_free_clients_for_a_start_three_have_free_make_one_booking_each(transactional_db):
    salon = SalonFactory()
    cut = ServiceFactory(salon=salon, duration_minutes=30)
    team = [StaffMemberFactory(salon=salon, services=[cut], hours=(dt.time(9), dt.time(17))) for _ in range(3)]
    for member in team:
        slots_sync_for_staff(staff_member=member, days=4)
    start = next_local(salon, days=2, at=dt.time(10))

    def book_anyone(n):
        return labelled(
            "booked",
            lambda: booking_create_with_anyone(
                salon=salon,
                service=cut,
                start=start,
                customer=Customer(f"Racer {n}", _phone(n)),
                actor=Actor.customer(),
                now=timezone.now(),
            ),
        )

    outcomes = _race([book_anyone(n) for n in range(50)])
    assert outcomes == Counter({"booked": 3, "taken": 47})
    assert sorted(Booking.objects.values_list("staff_member_id", flat=True)) == sorted(m.pk for m in team)
