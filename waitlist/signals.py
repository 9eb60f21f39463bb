"""Events of the waitlist, sent after commit; monitoring counts them."""

from salonbook.events import NamedSignal

# Every waitlist event has ``entry_id`` (int) and ``salon_id`` (int).

waitlist_joined = NamedSignal("waitlist_joined")
"""A customer joined the waitlist (online, or staff at the desk). Also ``actor`` (str)."""

waitlist_offered = NamedSignal("waitlist_offered")
"""Freed time was held for an entry. Also ``offer_id`` (int), ``by_hand`` (bool: staff chose the time)."""

waitlist_claimed = NamedSignal("waitlist_claimed")
"""An offer was booked. Also ``offer_id`` (int), ``booking_id`` (int)."""

waitlist_expired = NamedSignal("waitlist_expired")
"""An offer ran out unclaimed and its time was passed on. Also ``offer_id`` (int)."""

waitlist_declined = NamedSignal("waitlist_declined")
"""The customer declined an offer, or staff withdrew it. Also ``offer_id`` (int), ``actor`` (str)."""

