"""Random sequences of book / cancel / reschedule / block / unblock over the
API keep availability and bookings consistent and never double-book."""

import datetime as dt
import itertools

import pytest
from django.core.cache import caches
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from bookings.models import Booking
from bookings.tests.factories import next_local
from salonbook.tests.helpers import booking_body, client_for
from salons.tests.factories import ServiceFactory, StaffMemberFactory
from slots.models import Hold, Slot
from slots.services import slots_sync_for_staff

pytestmark = pytest.mark.django_db

STEPS = st.lists(
    st.tuples(st.sampled_from(["book", "book_unoffered", "cancel", "reschedule", "block", "unblock"]), st.integers(0, 30), st.integers(0, 30)),
    min_size=1,
    max_size=14,
)


_phones = itertools.count(1)


def _phone() -> str:
    """A customer of their own for each booking: one phone holds one live booking per start."""
    return f"+4479110{next(_phones) % 100000:05d}"


@pytest.fixture
def world(settings, salon, staff_of_salon):
    settings.RATELIMIT_ENABLE = False
    cut = ServiceFactory(salon=salon, name="Trim", duration_minutes=30)
    colour = ServiceFactory(salon=salon, name="Colour", duration_minutes=40, buffer_minutes=10)
    members = [StaffMemberFactory(salon=salon, services=[cut, colour], hours=(dt.time(9), dt.time(12))) for _ in range(2)]
    for member in members:
        slots_sync_for_staff(staff_member=member, days=4)
    return {"salon": salon, "services": [cut, colour], "staff": client_for(staff_of_salon, token=True), "members": members}


def _offered(salon, service, day):
    response = APIClient().get(f"/api/salons/{salon.slug}/availability/?date={day}&service={service.pk}")
    assert response.status_code == 200
    return [(dt.datetime.fromisoformat(s["start"]), s["staff"]) for s in response.json()["slots"]]


def _expected(world, service, day):
    """Free starts worked out by hand from the available slots: a start is free
    when available slots follow one another from it, end to start, until the
    service and its buffer are over."""
    found = []
    for member in world["members"]:
        free_until = dict(
            Slot.objects.filter(staff_member=member, status=Slot.Status.AVAILABLE).values_list("start", "end")
        )
        for start in free_until:
            if start.astimezone(world["salon"].tz).date() != day:
                continue
            reached = start
            while reached in free_until and reached < start + service.busy_time:
                reached = free_until[reached]
            if reached >= start + service.busy_time:
                found.append((start, member.pk))
    return sorted(found)


def _check_consistency(world, day):
    active = Booking.objects.filter(status__in=Booking.ACTIVE_STATUSES)
    holds = Hold.objects.filter(kind=Hold.Kind.BOOKING)
    held = holds.filter(holder_id__in=active.values("pk")).values_list("slot_id", flat=True)
    booked = set(Slot.objects.filter(status=Slot.Status.BOOKED).values_list("pk", flat=True))
    assert set(held) == booked  # a slot is booked exactly when an active booking holds it
    assert len(list(held)) == len(set(held))  # never two holders
    assert not holds.exclude(holder_id__in=active.values("pk")).exists()  # cancelled ones hold nothing
    for member in world["members"]:
        spans = sorted(active.filter(staff_member=member).values_list("start", "held_until"))
        for (_, first_end), (second_start, _) in zip(spans, spans[1:]):
            assert first_end <= second_start  # no double booking
    for service in world["services"]:
        offered = sorted(_offered(world["salon"], service, day))
        assert offered == _expected(world, service, day)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=STEPS)
def test_random_sequences_keep_availability_and_bookings_consistent(world, django_capture_on_commit_callbacks, steps):
    salon = world["salon"]
    day = next_local(salon, days=2).date()
    grid = [next_local(salon, days=2, at=dt.time(h, m)) for h in range(8, 13) for m in (0, 15, 30, 45)]
    # Each example starts from the same rows (the last one's were rolled
    # back, with no event to say so): start from an empty cache too.
    caches["default"].clear()
    with transaction.atomic():
        savepoint = transaction.savepoint()
        try:
            for action, first, second in steps:
                service = world["services"][first % 2]
                offered = _offered(salon, service, day)
                active = list(Booking.objects.filter(status__in=Booking.ACTIVE_STATUSES).order_by("pk"))
                with django_capture_on_commit_callbacks(execute=True):
                    if action == "book" and offered:
                        start, staff_id = offered[second % len(offered)]
                        member = next(m for m in world["members"] if m.pk == staff_id)
                        body = booking_body(
                            salon=salon, service=service, staff_member=member, start=start, customer_phone=_phone()
                        )
                        assert APIClient().post("/api/bookings/", body, format="json").status_code == 201
                    elif action == "book_unoffered":
                        member = world["members"][second % 2]
                        free = {s for s, staff_id in offered if staff_id == member.pk}
                        start = grid[second % len(grid)]
                        if start not in free:
                            body = booking_body(salon=salon, service=service, staff_member=member, start=start)
                            assert APIClient().post("/api/bookings/", body, format="json").status_code in (400, 409)
                    elif action == "cancel" and active:
                        booking = active[second % len(active)]
                        response = world["staff"].post(f"/api/bookings/{booking.reference}/cancel/")
                        assert response.status_code == 200
                    elif action == "reschedule" and active:
                        booking = active[first % len(active)]
                        own = _offered(salon, booking.service, day)
                        if own:
                            start, staff_id = own[second % len(own)]
                            response = world["staff"].post(
                                f"/api/bookings/{booking.reference}/reschedule/",
                                {"start": start.isoformat(), "staff": staff_id},
                                format="json",
                            )
                            assert response.status_code == 200, response.content
                    elif action in ("block", "unblock"):
                        slots = list(Slot.objects.filter(start__gte=grid[0], start__lt=grid[-1]).order_by("start", "staff_member_id"))
                        slot = slots[second % len(slots)]
                        response = world["staff"].post(f"/api/slots/{slot.pk}/{action}/")
                        booked = slot.status == Slot.Status.BOOKED
                        assert response.status_code == (409 if booked else 200), response.content
                _check_consistency(world, day)
        finally:
            transaction.savepoint_rollback(savepoint)
