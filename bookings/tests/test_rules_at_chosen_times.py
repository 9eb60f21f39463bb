"""Every time rule holds at the instant the service is given, one minute either side.

The services take ``now`` from their caller; these tests pass it, so each rule
(the customer's cut-off, "has started" for complete and no-show, "not started"
for cancelling) is checked at its edge, not at whatever the clock says.
"""

import datetime as dt

import pytest

from bookings.models import Booking
from bookings.services import (
    Actor,
    allowed_moves,
    booking_cancel,
    booking_complete,
    booking_mark_no_show,
    booking_reschedule,
)
from bookings.tests.factories import make_booking, next_local
from salonbook.errors import CancellationClosed, InvalidTransition

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def booking(service, staff_member):
    return make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))


@pytest.fixture
def staff(staff_of_salon):
    return Actor.staff(staff_of_salon)


def _cutoff(booking):
    return booking.start - dt.timedelta(hours=booking.salon.cancellation_cutoff_hours)


def test_customer_cancels_until_a_minute_before_the_cutoff(booking):
    cancelled = booking_cancel(booking=booking, actor=Actor.customer(), now=_cutoff(booking) - MINUTE)
    assert cancelled.status == Booking.Status.CANCELLED


def test_customer_cannot_cancel_at_the_cutoff(booking):
    with pytest.raises(CancellationClosed):
        booking_cancel(booking=booking, actor=Actor.customer(), now=_cutoff(booking))
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED


def test_customer_cannot_move_after_the_cutoff(booking):
    with pytest.raises(CancellationClosed):
        booking_reschedule(
            booking=booking, start=booking.start + dt.timedelta(hours=1), actor=Actor.customer(), now=_cutoff(booking) + MINUTE
        )


def test_staff_cancel_after_the_cutoff_until_the_start(booking, staff):
    with pytest.raises(InvalidTransition):
        booking_cancel(booking=booking, actor=staff, now=booking.start)
    cancelled = booking_cancel(booking=booking, actor=staff, now=booking.start - MINUTE)
    assert cancelled.status == Booking.Status.CANCELLED


@pytest.mark.parametrize("record", [booking_complete, booking_mark_no_show])
def test_complete_and_no_show_only_from_the_start(booking, staff, record):
    with pytest.raises(InvalidTransition) as refused:
        record(booking=booking, actor=staff, now=booking.start - MINUTE)
    assert "started" in refused.value.message
    assert refused.value.details["allowed"] == ["cancel"]
    assert record(booking=booking, actor=staff, now=booking.start).status != Booking.Status.CONFIRMED


def test_allowed_moves_change_at_the_start(booking):
    assert allowed_moves(booking, now=booking.start - MINUTE) == ["cancel"]
    assert allowed_moves(booking, now=booking.start) == ["complete", "no_show"]
