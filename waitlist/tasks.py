"""The waitlist's beat job. Safe to run twice at once: offers move by
compare-and-set, so a second run or a dead worker changes nothing twice."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from waitlist.offers import entries_close_passed, offers_expire


@shared_task(name="waitlist.expire_offers", ignore_result=True)
def expire_waitlist_offers() -> dict[str, int]:
    """End offers past their time (passing the time on) and close entries whose dates passed."""
    now = timezone.now()
    return {"expired": offers_expire(now=now), "closed": entries_close_passed(now=now)}
