"""Claiming and freeing slots: the only code that writes ``Hold`` rows.

A booking or a waitlist offer first locks the run of slots it needs and
checks they are free (``slots.services.slots_lock_for_parts``), then places
its holds here. The insert comes first and is the guard that cannot be
skipped: the one-to-one key on ``Hold.slot`` refuses a second holder with an
``IntegrityError`` whatever was checked before, and the caller turns that into
``SlotUnavailable``. The slot's ``status`` is written in the same statement
group, so availability, which reads only slots, agrees with the holds.

Call everything here inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from salons.models import Salon
from slots import signals
from slots.models import Hold, Slot
from slots.signals import send_slot_event


@dataclass(frozen=True)
class Holder:
    """Who holds slots: a booking or a waitlist offer, by id."""

    kind: str
    id: int

    @classmethod
    def booking(cls, booking_id: int) -> Holder:
        return cls(Hold.Kind.BOOKING, booking_id)

    @classmethod
    def offer(cls, offer_id: int) -> Holder:
        return cls(Hold.Kind.OFFER, offer_id)

    @property
    def slot_status(self) -> str:
        return Slot.Status.BOOKED if self.kind == Hold.Kind.BOOKING else Slot.Status.HELD


def holds_place(*, salon: Salon, slots: Sequence[Slot], holder: Holder) -> None:
    """Hold ``slots`` for ``holder``. Raises ``IntegrityError`` when any of
    them already has a holder. The ``slots`` objects keep their old status;
    read them again if it matters."""
    Hold.objects.bulk_create(
        [Hold(salon=salon, slot=slot, kind=holder.kind, holder_id=holder.id) for slot in slots]
    )
    Slot.objects.filter(pk__in=[slot.pk for slot in slots]).update(status=holder.slot_status)
    signal = signals.slot_booked if holder.kind == Hold.Kind.BOOKING else signals.slot_held
    send_slot_event(signal, salon, slots)


def holds_release(*, salon: Salon, holder: Holder) -> list[Slot]:
    """Free every slot ``holder`` holds and return them, locked, in start
    order (their status as it was before). Freeing nothing returns ``[]``.

    The caller decides what the freed time means: a cancellation announces
    it (``slots.services.slots_freed_announce``); a claim books it at once.
    """
    slots = list(held_slots(holder).select_for_update(of=("self",)).order_by("start", "staff_member_id"))
    if not slots:
        return []
    Hold.objects.filter(kind=holder.kind, holder_id=holder.id).delete()
    Slot.objects.filter(pk__in=[slot.pk for slot in slots]).update(status=Slot.Status.AVAILABLE)
    signal = signals.slot_released if holder.kind == Hold.Kind.BOOKING else signals.slot_unheld
    send_slot_event(signal, salon, slots)
    return slots


def held_slots(holder: Holder) -> QuerySet[Slot]:
    return Slot.objects.filter(hold__kind=holder.kind, hold__holder_id=holder.id)


def held_slot_ids(holder: Holder) -> list[int]:
    return list(Hold.objects.filter(kind=holder.kind, holder_id=holder.id).values_list("slot_id", flat=True))

