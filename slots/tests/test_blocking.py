import datetime as dt

import pytest

from bookings.tests.factories import make_booking, next_local
from salonbook.errors import InvalidInput, InvalidTransition
from slots import signals
from slots.holds import Holder, holds_place
from slots.models import Slot
from slots.services import slot_block, slot_unblock, slots_block_range

pytestmark = pytest.mark.django_db


def _slot(member, start):
    return Slot.objects.get(staff_member=member, start=start)


def test_block_and_unblock_a_free_slot(staff_member, django_capture_on_commit_callbacks):
    slot = Slot.objects.filter(staff_member=staff_member).first()
    events = []
    signals.slot_blocked.connect(lambda **kw: events.append(("blocked", kw["slot_ids"])), weak=False, dispatch_uid="t1")
    signals.slot_unblocked.connect(
        lambda **kw: events.append(("unblocked", kw["slot_ids"])), weak=False, dispatch_uid="t2"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            blocked = slot_block(slot=slot, reason="Lunch")
        assert (blocked.status, blocked.block_reason) == ("blocked", "Lunch")
        with django_capture_on_commit_callbacks(execute=True):
            freed = slot_unblock(slot=slot)
        assert (freed.status, freed.block_reason) == ("available", "")
    finally:
        signals.slot_blocked.disconnect(dispatch_uid="t1")
        signals.slot_unblocked.disconnect(dispatch_uid="t2")
    assert events == [("blocked", [slot.pk]), ("unblocked", [slot.pk])]


def test_a_booked_slot_cannot_be_blocked(service, staff_member):
    start = next_local(service.salon)
    make_booking(service=service, staff_member=staff_member, start=start)
    with pytest.raises(InvalidTransition) as error:
        slot_block(slot=_slot(staff_member, start))
    assert error.value.details == {"status": "booked", "allowed": []}
    assert error.value.message.startswith("A booked slot cannot be blocked")
    assert _slot(staff_member, start).status == "booked"


def test_a_slot_held_for_a_waitlist_offer_cannot_be_blocked_and_says_why(staff_member):
    slot = Slot.objects.filter(staff_member=staff_member).first()
    holds_place(salon=staff_member.salon, slots=[slot], holder=Holder.offer(1))
    with pytest.raises(InvalidTransition) as error:
        slot_block(slot=slot)
    assert "held for a waitlist offer" in error.value.message
    assert error.value.details["status"] == "held"
    assert _slot(staff_member, slot.start).status == "held"


def test_a_booked_slot_cannot_be_unblocked(service, staff_member):
    start = next_local(service.salon)
    make_booking(service=service, staff_member=staff_member, start=start)
    with pytest.raises(InvalidTransition):
        slot_unblock(slot=_slot(staff_member, start))


def test_blocking_twice_is_harmless(staff_member):
    slot = Slot.objects.filter(staff_member=staff_member).first()
    slot_block(slot=slot)
    assert slot_block(slot=slot).status == "blocked"
    assert slot_unblock(slot=slot).status == "available"
    assert slot_unblock(slot=slot).status == "available"


def test_blocking_a_range_blocks_free_slots_and_leaves_bookings(service, staff_member):
    start = next_local(service.salon, at=dt.time(12))
    make_booking(service=service, staff_member=staff_member, start=start + dt.timedelta(minutes=30))
    blocked = slots_block_range(
        staff_member=staff_member, start=start, end=start + dt.timedelta(hours=1), reason="Errand"
    )
    assert [s.start for s in blocked] == [start, start + dt.timedelta(minutes=15)]
    statuses = list(
        Slot.objects.filter(staff_member=staff_member, start__gte=start, start__lt=start + dt.timedelta(hours=1))
        .order_by("start")
        .values_list("status", flat=True)
    )
    assert statuses == ["blocked", "blocked", "booked", "booked"]


def test_a_range_must_end_after_it_starts(staff_member):
    start = next_local(staff_member.salon)
    with pytest.raises(InvalidInput):
        slots_block_range(staff_member=staff_member, start=start, end=start)


def test_unblocking_a_booked_slot_says_it_allows_no_move(service, staff_member):
    start = next_local(service.salon)
    make_booking(service=service, staff_member=staff_member, start=start)
    with pytest.raises(InvalidTransition) as error:
        slot_unblock(slot=_slot(staff_member, start))
    assert error.value.message == "Only a blocked slot can be unblocked."
    assert error.value.details == {"status": "booked", "allowed": []}
    assert _slot(staff_member, start).status == "booked"


def test_a_refused_block_sends_no_event(service, staff_member, django_capture_on_commit_callbacks):
    start = next_local(service.salon)
    make_booking(service=service, staff_member=staff_member, start=start)
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(InvalidTransition):
            slot_block(slot=_slot(staff_member, start), reason="Lunch")
    assert callbacks == []
    assert _slot(staff_member, start).block_reason == ""
