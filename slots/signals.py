"""Events of the slots app, sent after commit.

Each carries the salon and the affected slots' ids and local dates, so a
listener can invalidate exactly the availability it cached.
"""

from salonbook.events import NamedSignal

slot_booked = NamedSignal("slot_booked")
"""Slots were taken by a booking. Args: ``salon_id`` (int), ``slot_ids`` (list[int]), ``dates`` (set[date], salon-local)."""

slot_released = NamedSignal("slot_released")
"""Slots held by a booking became free again. Args: as ``slot_booked``."""

slot_blocked = NamedSignal("slot_blocked")
"""Staff blocked slots. Args: as ``slot_booked``."""

slot_unblocked = NamedSignal("slot_unblocked")
"""Staff unblocked slots. Args: as ``slot_booked``."""

slots_generated = NamedSignal("slots_generated")
"""Slots were created or removed by generation. Args: ``salon_id`` (int), ``created`` (int), ``removed`` (int)."""
