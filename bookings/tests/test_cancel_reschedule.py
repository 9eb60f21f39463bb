import datetime as dt

import pytest
from django.utils import timezone

from bookings.models import Booking
from bookings.services import Actor, booking_cancel, booking_reschedule
from bookings.tests.factories import make_booking, next_local
from salonbook.errors import CancellationClosed, InvalidInput, OutsideBookingWindow, SlotUnavailable
from salons.tests.factories import ServiceFactory, StaffMemberFactory
from slots.holds import Holder, held_slots
from slots.models import Slot
from slots.services import slots_sync_for_staff

pytestmark = pytest.mark.django_db


def _statuses(staff_member, start, minutes):
    slots = Slot.objects.filter(
        staff_member=staff_member, start__gte=start, start__lt=start + dt.timedelta(minutes=minutes)
    )
    return [s.status for s in slots.order_by("start")]


def test_customer_cancel_frees_the_slots(service, staff_member):
    start = next_local(service.salon, days=3)
    booking = make_booking(service=service, staff_member=staff_member, start=start)
    booking_cancel(booking=booking, actor=Actor.customer())
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELLED
    assert _statuses(staff_member, start, 30) == ["available", "available"]
    assert not held_slots(Holder.booking(booking.pk)).exists()
    assert booking.history.last().actor == "customer"
    # The freed time can be booked again.
    make_booking(service=service, staff_member=staff_member, start=start)


def test_customer_cannot_cancel_after_the_cutoff(service, staff_member):
    salon = service.salon  # 24 hours cut-off
    start = next_local(salon, days=3)
    booking = make_booking(service=service, staff_member=staff_member, start=start)
    with pytest.raises(CancellationClosed) as error:
        booking_cancel(booking=booking, actor=Actor.customer(), now=start - dt.timedelta(hours=23))
    assert "24 hours" in error.value.message
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED
    assert _statuses(staff_member, start, 30) == ["booked", "booked"]


def test_staff_can_cancel_after_the_customer_cutoff(service, staff_member, staff_of_salon):
    start = next_local(service.salon, days=3)
    booking = make_booking(service=service, staff_member=staff_member, start=start)
    booking_cancel(booking=booking, actor=Actor.staff(staff_of_salon), now=start - dt.timedelta(hours=1))
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELLED


def test_reschedule_moves_to_new_slots_and_keeps_status(service, staff_member):
    old = next_local(service.salon, days=3)
    new = next_local(service.salon, days=4, at=dt.time(14))
    booking = make_booking(service=service, staff_member=staff_member, start=old)
    moved = booking_reschedule(booking=booking, start=new, actor=Actor.customer())
    assert (moved.start, moved.end, moved.status) == (new, new + dt.timedelta(minutes=30), "confirmed")
    assert _statuses(staff_member, old, 30) == ["available", "available"]
    assert _statuses(staff_member, new, 30) == ["booked", "booked"]
    assert moved.history.last().note.startswith("moved from")


def test_reschedule_may_overlap_its_own_old_time(service, staff_member):
    start = next_local(service.salon, days=3)
    booking = make_booking(service=service, staff_member=staff_member, start=start)
    later = start + dt.timedelta(minutes=15)
    booking_reschedule(booking=booking, start=later, actor=Actor.customer())
    assert _statuses(staff_member, start, 45) == ["available", "booked", "booked"]


def test_reschedule_to_another_staff_member(salon, service, staff_member):
    other = StaffMemberFactory(salon=salon, services=[service])
    slots_sync_for_staff(staff_member=other, days=7)
    start = next_local(salon, days=3)
    booking = make_booking(service=service, staff_member=staff_member, start=start)
    moved = booking_reschedule(booking=booking, start=start, staff_member=other, actor=Actor.customer())
    assert moved.staff_member == other
    assert _statuses(staff_member, start, 30) == ["available", "available"]
    assert _statuses(other, start, 30) == ["booked", "booked"]


def test_reschedule_to_a_taken_time_changes_nothing(service, staff_member):
    first = next_local(service.salon, days=3)
    taken = next_local(service.salon, days=3, at=dt.time(15))
    booking = make_booking(service=service, staff_member=staff_member, start=first)
    make_booking(service=service, staff_member=staff_member, start=taken, name="Other")
    with pytest.raises(SlotUnavailable):
        booking_reschedule(booking=booking, start=taken - dt.timedelta(minutes=15), actor=Actor.customer())
    booking.refresh_from_db()
    assert booking.start == first
    assert _statuses(staff_member, first, 30) == ["booked", "booked"]
    assert held_slots(Holder.booking(booking.pk)).count() == 2
    assert booking.history.count() == 2


def test_reschedule_to_a_staff_member_without_the_service_is_refused(salon, service, staff_member):
    other = StaffMemberFactory(salon=salon, services=[ServiceFactory(salon=salon)])
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=3))
    with pytest.raises(InvalidInput):
        booking_reschedule(booking=booking, start=next_local(salon, days=4), staff_member=other, actor=Actor.customer())


def test_customer_cannot_reschedule_after_the_cutoff(service, staff_member):
    start = next_local(service.salon, days=3)
    booking = make_booking(service=service, staff_member=staff_member, start=start)
    with pytest.raises(CancellationClosed):
        booking_reschedule(
            booking=booking,
            start=next_local(service.salon, days=4),
            actor=Actor.customer(),
            now=start - dt.timedelta(hours=2),
        )


def test_reschedule_to_the_past_is_refused(service, staff_member):
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))
    with pytest.raises(InvalidInput):
        booking_reschedule(booking=booking, start=timezone.now() - dt.timedelta(hours=3), actor=Actor.customer())


# --- The customer's cut-off, at chosen instants ------------------------------------------------

MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def booking(service, staff_member):
    return make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))


def test_customer_cancels_a_minute_before_the_cutoff(booking):
    cutoff = booking.start - dt.timedelta(hours=24)
    cancelled = booking_cancel(booking=booking, actor=Actor.customer(), now=cutoff - MINUTE)
    assert cancelled.status == Booking.Status.CANCELLED


def test_customer_cannot_cancel_at_the_cutoff(booking):
    cutoff = booking.start - dt.timedelta(hours=24)
    with pytest.raises(CancellationClosed) as error:
        booking_cancel(booking=booking, actor=Actor.customer(), now=cutoff)
    assert error.value.details == {"cancellable_until": cutoff.isoformat()}
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED


def test_customer_moves_a_minute_before_the_cutoff_but_not_at_it(service, booking):
    cutoff = booking.start - dt.timedelta(hours=24)
    new = next_local(service.salon, days=4, at=dt.time(14))
    with pytest.raises(CancellationClosed) as error:
        booking_reschedule(booking=booking, start=new, actor=Actor.customer(), now=cutoff)
    assert "Online changes close 24 hours" in error.value.message
    assert Booking.objects.get(pk=booking.pk).start != new
    moved = booking_reschedule(booking=booking, start=new, actor=Actor.customer(), now=cutoff - MINUTE)
    assert moved.start == new


def test_staff_move_a_booking_after_the_customer_cutoff(service, booking, staff_of_salon):
    new = next_local(service.salon, days=4, at=dt.time(14))
    moved = booking_reschedule(
        booking=booking, start=new, actor=Actor.staff(staff_of_salon), now=booking.start - dt.timedelta(hours=1)
    )
    assert moved.start == new


# --- The new start must be one availability offers at that instant ------------------------------


def test_reschedule_to_a_start_that_has_passed_at_now_is_refused(service, booking):
    new = next_local(service.salon, days=2, at=dt.time(14))
    with pytest.raises(InvalidInput) as error:
        booking_reschedule(booking=booking, start=new, actor=Actor.staff(None), now=new)
    assert error.value.details == {"start": ["That time has already passed."]}
    moved = booking_reschedule(booking=booking, start=new, actor=Actor.staff(None), now=new - MINUTE)
    assert moved.start == new


def test_reschedule_beyond_the_booking_window_at_now_is_refused(service, booking):
    new = next_local(service.salon, days=4, at=dt.time(14))
    window = dt.timedelta(days=service.salon.booking_window_days)
    with pytest.raises(OutsideBookingWindow):
        booking_reschedule(booking=booking, start=new, actor=Actor.customer(), now=new - window - MINUTE)
    moved = booking_reschedule(booking=booking, start=new, actor=Actor.customer(), now=new - window)
    assert moved.start == new


def test_reschedule_to_a_start_off_the_slot_grid_is_refused(service, booking):
    with pytest.raises(InvalidInput) as error:
        booking_reschedule(
            booking=booking, start=next_local(service.salon, days=4, at=dt.time(14, 5)), actor=Actor.customer()
        )
    assert "start" in error.value.details
    assert held_slots(Holder.booking(booking.pk)).count() == 2
