"""Freed time (a cancellation, a move, an unblock, new hours, an offer that
ended) goes to the waitlist in the transaction that freed it: the one route
``slots.services.slots_freed_announce`` sends ``slots_freed``."""

from django.dispatch import receiver

from slots.signals import slots_freed
from waitlist.offers import offer_freed_by_slots


@receiver(slots_freed, dispatch_uid="waitlist.offer_freed_slots")
def _offer_freed_slots(sender, **kwargs) -> None:
    offer_freed_by_slots(**kwargs)
