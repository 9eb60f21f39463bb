"""Reads of the waitlist: an entry's live offer, and the agenda's day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from salons.models import Salon
from waitlist.models import WaitlistEntry, WaitlistOffer


def live_offer(entry: WaitlistEntry) -> WaitlistOffer | None:
    if entry.status != WaitlistEntry.Status.OFFERED:
        return None
    return (
        WaitlistOffer.objects.select_related("staff_member")
        .filter(entry=entry, status=WaitlistOffer.Status.LIVE)
        .first()
    )


@dataclass(frozen=True)
class WaitlistDay:
    waiting: list[WaitlistEntry]
    offers: list[WaitlistOffer]


def waitlist_for_day(*, salon: Salon, day: dt.date) -> WaitlistDay:
    """Entries waiting for a time on ``day`` and the live offers of the salon
    whose start is on it. Two queries."""
    waiting = list(
        WaitlistEntry.objects.filter(
            salon=salon, status=WaitlistEntry.Status.WAITING, date_from__lte=day, date_to__gte=day
        )
        .select_related("service", "staff_member")
        .order_by("joined_at", "id")
    )
    offers = [
        offer
        for offer in WaitlistOffer.objects.filter(salon=salon, status=WaitlistOffer.Status.LIVE)
        .filter(Q(entry__date_from__lte=day) & Q(entry__date_to__gte=day))
        .select_related("entry", "entry__service", "staff_member")
        .order_by("start")
        if offer.start.astimezone(salon.tz).date() == day
    ]
    return WaitlistDay(waiting=waiting, offers=offers)
