"""Events of the salons app, sent after commit by ``salons.services``.

Business info (salon, services, staff, hours) is cached; every one of these
tells listeners that a salon's info changed.
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
