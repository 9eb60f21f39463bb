"""Visits racing with real threads, each on its own connection: for a
resource, for "anyone", and inside another booking's processing phase.
On PostgreSQL in the services run, SQLite in the embedded one."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import IntegrityError, transaction

from bookings.booking_plans import PartChoice, booking_visit_create
from bookings.models import Booking
from bookings.services import Actor, BookingRequest, Customer, PartRequest, booking_create
from bookings.tests.factories import next_local
from resources.models import Resource, ResourceHold
from resources.services import resource_save
from salonbook.errors import SlotUnavailable
from salonbook.tests.races import labelled, race
from salons.tests.factories import SalonFactory, ServiceFactory, StaffMemberFactory
from slots.services import slots_generate


@pytest.fixture
def shop(transactional_db):
    salon = SalonFactory(minimum_notice_minutes=0)
    colour = ServiceFactory(
        salon=salon, name="Colour", duration_minutes=90, processing_after_minutes=30, processing_minutes=30
    )
    cut = ServiceFactory(salon=salon, name="Cut", duration_minutes=45)
    beard = ServiceFactory(salon=salon, name="Beard", duration_minutes=15)
    hours = (dt.time(9), dt.time(18))
    colourists = [StaffMemberFactory(salon=salon, services=[colour, beard], hours=hours) for _ in range(3)]
    cutters = [StaffMemberFactory(salon=salon, services=[cut], hours=hours) for _ in range(3)]
    station = resource_save(resource=Resource(salon=salon, name="Colour station", quantity=1), services=[colour])
    slots_generate(salon=salon, days=4)
    return {
        "salon": salon,
        "colour": colour,
        "cut": cut,
        "beard": beard,
        "colourists": colourists,
        "cutters": cutters,
        "station": station,
    }


def _book(salon, parts, start, n):
    (service, member), *rest = parts
    return lambda: booking_create(
        request=BookingRequest(
            salon=salon,
            service=service,
            staff_member=member,
            start=start,
            customer=Customer(f"Racer {n}", f"+4479111{n:05d}"),
            then=tuple(PartRequest(s, m) for s, m in rest),
        )
    )


def test_two_visits_needing_the_one_station_at_overlapping_times_make_one_booking(shop):
    salon, colour, cut = shop["salon"], shop["colour"], shop["cut"]
    alice, chloe = shop["colourists"][:2]
    ten = next_local(salon, days=2, at=dt.time(10))
    calls = [
        _book(salon, [(colour, alice), (cut, shop["cutters"][0])], ten, n)
        if n % 2
        else _book(salon, [(colour, chloe), (cut, shop["cutters"][1])], ten + dt.timedelta(minutes=45), n)
        for n in range(20)
    ]
    assert _race(calls) == Counter({"booked": 1, "taken": 19})
    assert Booking.objects.count() == 1
    assert ResourceHold.objects.count() == 18


def test_fifty_anyone_clients_for_a_visit_book_as_many_as_there_are_stations(shop):
    salon = shop["salon"]
    shop["station"].quantity = 2
    resource_save(resource=shop["station"])
    ten = next_local(salon, days=2, at=dt.time(10))
    parts = [PartChoice(shop["colour"]), PartChoice(shop["cut"])]
    calls = [
        (
            lambda n=n: booking_visit_create(
                salon=salon,
                start=ten,
                parts=parts,
                customer=Customer(f"Racer {n}", f"+4479112{n:05d}"),
                actor=Actor.customer(),
                now=dt.datetime.now(dt.UTC),
            )
        )
        for n in range(50)
    ]
    assert _race(calls) == Counter({"booked": 2, "taken": 48})
    colourists = {b.staff_member_id for b in Booking.objects.all()}
    assert len(colourists) == 2  # two colourists, one station unit each
    assert ResourceHold.objects.values("unit").distinct().count() == 2


def test_a_stylist_is_booked_once_inside_another_bookings_processing_phase(shop):
    salon, alice = shop["salon"], shop["colourists"][0]
    ten = next_local(salon, days=2, at=dt.time(10))
    _book(salon, [(shop["colour"], alice)], ten, 0)()
    half_past = ten + dt.timedelta(minutes=30)
    calls = [_book(salon, [(shop["beard"], alice)], half_past, n) for n in range(1, 21)]
    assert _race(calls) == Counter({"booked": 1, "taken": 19})
    assert Booking.objects.filter(staff_member=alice).count() == 2


def test_a_resource_unit_cannot_be_held_twice_even_bypassing_the_services(shop):
    salon = shop["salon"]
    ten = next_local(salon, days=2, at=dt.time(10))
    booking = _book(salon, [(shop["colour"], shop["colourists"][0])], ten, 0)()
    held = ResourceHold.objects.filter(booking_id=booking.pk).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        ResourceHold.objects.create(salon=salon, resource=held.resource, unit=held.unit, cell=held.cell, booking_id=0)


def _race(calls):
    return race([labelled("booked", call) for call in calls], refused={SlotUnavailable: "taken"})
