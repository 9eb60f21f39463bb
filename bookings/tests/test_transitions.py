"""Every allowed and every refused move of the booking state machine."""

import datetime as dt

import pytest
from django_fsm import TransitionNotAllowed

from bookings.models import Booking
from bookings.services import (
    Actor,
    allowed_moves,
    booking_cancel,
    booking_complete,
    booking_confirm,
    booking_mark_no_show,
    booking_reschedule,
)
from bookings.tests.factories import make_booking, make_past_booking, next_local
from salonbook.errors import InvalidTransition
from slots.models import Slot

pytestmark = pytest.mark.django_db

MOVES = {
    "confirm": booking_confirm,
    "complete": booking_complete,
    "no_show": booking_mark_no_show,
}


@pytest.fixture
def pending(service, staff_member, staff_of_salon):
    service.salon.auto_confirm = False
    service.salon.save()
    return make_booking(service=service, staff_member=staff_member, start=next_local(service.salon))


@pytest.fixture
def staff(staff_of_salon):
    return Actor.staff(staff_of_salon)


def _status_of(booking):
    return Booking.objects.get(pk=booking.pk).status


def test_pending_can_be_confirmed_and_history_records_who(pending, staff, staff_of_salon):
    booking = booking_confirm(booking=pending, actor=staff)
    assert booking.status == Booking.Status.CONFIRMED
    last = booking.history.last()
    assert (last.from_status, last.to_status, last.actor, last.actor_user) == (
        "pending",
        "confirmed",
        "staff",
        staff_of_salon,
    )


def test_pending_can_be_cancelled(pending, staff):
    assert booking_cancel(booking=pending, actor=staff).status == Booking.Status.CANCELLED


@pytest.mark.parametrize("move", ["complete", "no_show"])
def test_pending_cannot_be_completed_or_no_show(pending, staff, move):
    with pytest.raises(InvalidTransition) as error:
        MOVES[move](booking=pending, actor=staff)
    assert error.value.details == {"status": "pending", "allowed": ["cancel", "confirm"]}
    assert _status_of(pending) == Booking.Status.PENDING
    assert pending.history.count() == 1


@pytest.mark.parametrize("move", ["complete", "no_show"])
def test_confirmed_cannot_be_completed_or_no_show_before_it_starts(service, staff_member, staff, move):
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon))
    with pytest.raises(InvalidTransition) as error:
        MOVES[move](booking=booking, actor=staff)
    assert "started" in error.value.message
    assert error.value.details["allowed"] == ["cancel"]
    assert _status_of(booking) == Booking.Status.CONFIRMED



@pytest.mark.parametrize("move, target", [("complete", "completed"), ("no_show", "no_show")])
def test_confirmed_can_be_completed_or_no_show_after_it_starts(service, staff_member, staff, move, target):
    booking = make_past_booking(service=service, staff_member=staff_member)
    assert MOVES[move](booking=booking, actor=staff).status == target
    assert booking.history.last().to_status == target


@pytest.mark.parametrize("final_move", ["complete", "no_show"])
def test_final_statuses_refuse_every_other_move(service, staff_member, staff, final_move):
    booking = make_past_booking(service=service, staff_member=staff_member)
    MOVES[final_move](booking=booking, actor=staff)
    history = booking.history.count()
    for move, service_fn in MOVES.items():
        if move == final_move:
            continue
        with pytest.raises(InvalidTransition) as error:
            service_fn(booking=booking, actor=staff)
        assert error.value.details["allowed"] == []
    with pytest.raises(InvalidTransition):
        booking_cancel(booking=booking, actor=staff)
    assert booking.history.count() == history


def test_cancelled_booking_refuses_confirm_and_reschedule(pending, staff):
    booking_cancel(booking=pending, actor=staff)
    with pytest.raises(InvalidTransition):
        booking_confirm(booking=pending, actor=staff)
    with pytest.raises(InvalidTransition):
        booking_reschedule(booking=pending, start=next_local(pending.salon, at=dt.time(12)), actor=staff)
    assert _status_of(pending) == Booking.Status.CANCELLED


def test_repeating_a_move_that_is_done_changes_nothing(pending, staff):
    booking_confirm(booking=pending, actor=staff)
    again = booking_confirm(booking=pending, actor=staff)
    assert again.status == Booking.Status.CONFIRMED
    assert pending.history.count() == 2
    booking_cancel(booking=pending, actor=staff)
    booking_cancel(booking=pending, actor=staff)
    assert pending.history.count() == 3


def test_status_field_is_protected_from_direct_assignment(pending):
    with pytest.raises(AttributeError):
        pending.status = Booking.Status.COMPLETED


def test_model_refuses_a_move_outside_the_machine(pending):
    with pytest.raises(TransitionNotAllowed):
        pending.complete()


def test_allowed_moves_follow_status_and_time(service, staff_member, pending, staff):
    assert allowed_moves(pending) == ["cancel", "confirm"]
    assert allowed_moves(booking_confirm(booking=pending, actor=staff)) == ["cancel"]
    service.salon.auto_confirm = True
    service.salon.save()
    past = make_past_booking(service=service, staff_member=staff_member, hours_ago=2)
    assert allowed_moves(past) == ["complete", "no_show"]


def test_staff_cannot_cancel_once_the_appointment_started(service, staff_member, staff):
    past = make_past_booking(service=service, staff_member=staff_member)
    with pytest.raises(InvalidTransition) as error:
        booking_cancel(booking=past, actor=staff)
    assert "started" in error.value.message
    assert error.value.details["allowed"] == ["complete", "no_show"]
    assert _status_of(past) == Booking.Status.CONFIRMED


def test_slot_machine_moves_only_between_available_and_blocked(staff_member):
    slot = Slot.objects.filter(staff_member=staff_member).first()
    with pytest.raises(TransitionNotAllowed):
        slot.unblock()
    slot.block()
    with pytest.raises(TransitionNotAllowed):
        slot.block()
    slot.unblock()
    assert slot.status == Slot.Status.AVAILABLE


# --- "Has started", asked at the instant the caller passes --------------------------------

MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def confirmed(service, staff_member):
    return make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))


@pytest.mark.parametrize(("move", "target"), [("complete", "completed"), ("no_show", "no_show")])
def test_outcome_is_refused_a_minute_before_the_start_and_recorded_at_it(confirmed, staff, move, target):
    with pytest.raises(InvalidTransition) as error:
        MOVES[move](booking=confirmed, actor=staff, now=confirmed.start - MINUTE)
    assert error.value.details == {"status": "confirmed", "allowed": ["cancel"]}
    assert _status_of(confirmed) == Booking.Status.CONFIRMED
    assert MOVES[move](booking=confirmed, actor=staff, now=confirmed.start).status == target


def test_staff_cancel_a_minute_before_the_start_but_not_at_it(service, staff_member, confirmed, staff):
    with pytest.raises(InvalidTransition) as error:
        booking_cancel(booking=confirmed, actor=staff, now=confirmed.start)
    assert "started" in error.value.message
    assert error.value.details["allowed"] == ["complete", "no_show"]
    assert _status_of(confirmed) == Booking.Status.CONFIRMED
    other = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=4))
    assert booking_cancel(booking=other, actor=staff, now=other.start - MINUTE).status == Booking.Status.CANCELLED


def test_allowed_moves_change_at_the_start(confirmed, pending):
    assert allowed_moves(confirmed, now=confirmed.start - MINUTE) == ["cancel"]
    assert allowed_moves(confirmed, now=confirmed.start) == ["complete", "no_show"]
    # A pending booking is never completed; once started it cannot be cancelled either.
    assert allowed_moves(pending, now=pending.start - MINUTE) == ["cancel", "confirm"]
    assert allowed_moves(pending, now=pending.start) == ["confirm"]
