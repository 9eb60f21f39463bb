"""Events of the slots app, sent after commit.

Each carries the salon and the affected slots' ids and local dates, so a
listener can invalidate exactly the availability it cached.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils import timezone

from salonbook.events import NamedSignal, send_on_commit

if TYPE_CHECKING:
    from salons.models import Salon
    from slots.models import Slot

slot_booked = NamedSignal("slot_booked")
"""Slots were taken by a booking. Args: ``salon_id`` (int), ``slot_ids`` (list[int]), ``dates`` (set[date], salon-local)."""

slot_released = NamedSignal("slot_released")
"""Slots held by a booking became free again. Args: as ``slot_booked``."""

slot_blocked = NamedSignal("slot_blocked")
"""Staff blocked slots. Args: as ``slot_booked``."""

slot_unblocked = NamedSignal("slot_unblocked")
"""Staff unblocked slots. Args: as ``slot_booked``."""

slot_held = NamedSignal("slot_held")
"""Slots were held for a waitlist offer. Args: as ``slot_booked``."""

slot_unheld = NamedSignal("slot_unheld")
"""Slots a waitlist offer held became free again. Args: as ``slot_booked``."""

slots_generated = NamedSignal("slots_generated")
"""Slots were created or removed by generation. Args: ``salon_id`` (int), ``created`` (int), ``removed`` (int)."""


# --- Sent inside the transaction, not after it -----------------------------------

slots_freed = NamedSignal("slots_freed")
"""Free time appeared for one staff member: a cancellation, a move, an unblock,
new or longer hours, an offer that ended. Every one of them comes through
``slots.services.slots_freed_announce``: one route, one event.

Sent INSIDE the transaction that freed it, while the freed rows are still
locked, so a listener can hold that time in the same transaction before any
other client sees it (the waitlist does). Listeners must not raise. Args:
``salon_id`` (int), ``staff_member_id`` (int), ``start`` and ``end`` (UTC
datetimes bounding the freed slots), ``now`` (datetime).
"""


def send_slot_event(signal: NamedSignal, salon: Salon, slots: Sequence[Slot]) -> None:
    """Send one of the after-commit events above for ``slots`` (nothing for none)."""
    if slots:
        dates = {timezone.localtime(s.start, salon.tz).date() for s in slots}
        send_on_commit(signal, sender=type(slots[0]), salon_id=salon.pk, slot_ids=[s.pk for s in slots], dates=dates)
