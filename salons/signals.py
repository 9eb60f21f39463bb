"""Events of the salons app, sent by ``salons.services``.

``salon_updated`` goes out after commit: business info (salon, services,
staff, hours) is cached, and it tells the cache. The two schedule events go
out INSIDE the change's transaction: their one listener (``slots.receivers``)
regenerates the free slots there, so a change and its slots commit together,
and a failure undoes the change rather than leaving slots behind it.
"""

from salonbook.events import NamedSignal

salon_updated = NamedSignal("salon_updated")
"""A salon, one of its services or staff members changed. Args: ``salon_id`` (int)."""

staff_schedule_changed = NamedSignal("staff_schedule_changed")
"""A staff member's working hours or days off changed, so free slots must follow.
Args: ``salon_id`` (int), ``staff_member_id`` (int)."""

salon_schedule_changed = NamedSignal("salon_schedule_changed")
"""Something that shapes every staff member's slots changed: a closure, the
time zone, the slot length or the booking window. Args: ``salon_id`` (int)."""
