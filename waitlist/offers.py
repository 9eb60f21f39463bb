"""Holding freed time for the waitlist: matching, offering, ending offers.

Freed time reaches the waitlist by one route: ``slots_freed``, sent by
``slots.services.slots_freed_announce`` inside the transaction that freed it
(a cancellation, a move, an unblock, new hours, an offer that ended), so the
freed slots go from booked or blocked to held without ever being bookable by
another client in between. The slots' row locks, the one-holder-per-slot key
of ``slots.Hold`` and the one-live-offer-per-entry constraint guarantee it.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from salonbook.errors import SlotUnavailable
from salonbook.events import send_on_commit
from salons.models import Salon, StaffMember
from slots.holds import Holder, held_slot_ids, holds_place, holds_release
from slots.models import Slot
from slots.selectors import covers
from slots.services import slots_freed_announce, slots_lock_free_run
from waitlist import signals
from waitlist.models import WaitlistEntry, WaitlistOffer
from waitlist.notify import notify_offer

logger = logging.getLogger(__name__)


def offer_minutes() -> dt.timedelta:
    return dt.timedelta(minutes=settings.WAITLIST_OFFER_MINUTES)


def offer_hold(
    *, entry: WaitlistEntry, staff_member: StaffMember, start: dt.datetime, now: dt.datetime, by_hand: bool = False
) -> WaitlistOffer | None:
    """Hold ``start`` with ``staff_member`` for ``entry`` and make the offer.

    Call inside a transaction with ``entry`` locked and waiting. Returns None,
    changing nothing, when the slots are no longer all available or the entry
    already has a live offer (the database refuses a second one).
    """
    try:
        with transaction.atomic():
            slots = slots_lock_free_run(staff_member=staff_member, start=start, busy=entry.service.busy_time)
            offer = WaitlistOffer.objects.create(
                entry=entry,
                salon=entry.salon,
                staff_member=staff_member,
                start=start,
                expires_at=now + offer_minutes(),
                by_hand=by_hand,
                created_at=now,
            )
            holds_place(salon=entry.salon, slots=slots, holder=Holder.offer(offer.pk))
            entry.status = WaitlistEntry.Status.OFFERED
            entry.save(update_fields=["status", "updated_at"])
            notify_offer(offer, now=now)
    except (SlotUnavailable, IntegrityError):
        # The time was taken meanwhile, or a concurrent transaction made this
        # entry an offer or held a slot first.
        return None
    send_on_commit(
        signals.waitlist_offered,
        sender=WaitlistOffer,
        entry_id=entry.pk,
        salon_id=entry.salon_id,
        offer_id=offer.pk,
        by_hand=by_hand,
    )
    return offer


def _waiting_entries(
    salon: Salon, staff_member: StaffMember, first_day: dt.date, last_day: dt.date
) -> list[WaitlistEntry]:
    """Waiting entries that could take a start of ``staff_member`` on those
    days, first joined first, locked. Entries another transaction is offering
    right now are skipped rather than waited for: waiting could deadlock."""
    return list(
        WaitlistEntry.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            salon=salon,
            status=WaitlistEntry.Status.WAITING,
            date_from__lte=last_day,
            date_to__gte=first_day,
            service__in=staff_member.services.filter(is_active=True),
        )
        .filter(Q(staff_member__isnull=True) | Q(staff_member=staff_member))
        .select_related("service", "salon")
        .order_by("joined_at", "id")
    )


def offer_freed_time(
    *,
    salon: Salon,
    staff_member: StaffMember,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
) -> list[WaitlistOffer]:
    """Offer time freed in ``[start, end)`` to the waiting entries, first
    joined first: each gets the earliest start that fits it, is free, and
    needs at least one of the freed slots. Call inside the transaction that
    freed the time.
    """
    if not staff_member.is_active:
        return []
    tz = salon.tz
    window_closes = salon.booking_window_closes(now)
    first_day = timezone.localtime(max(start, now), tz).date()
    last_day = timezone.localtime(end, tz).date()
    if first_day > last_day:
        return []
    entries = _waiting_entries(salon, staff_member, first_day, last_day)
    if not entries:
        return []
    longest = max(entry.service.busy_time for entry in entries)
    slots = list(
        Slot.objects.filter(staff_member=staff_member, start__gt=start - longest, start__lt=end + longest)
        .only("id", "start", "end", "status")
        .order_by("start")
    )
    offers = []
    for entry in entries:
        start_found = _first_fit(entry, slots, start, end, now, window_closes)
        if start_found is None:
            continue
        offer = offer_hold(entry=entry, staff_member=staff_member, start=start_found, now=now)
        if offer is not None:
            offers.append(offer)
            # Drop what was just held from our copy, so the next entry looks elsewhere.
            held = set(held_slot_ids(Holder.offer(offer.pk)))
            slots = [slot for slot in slots if slot.pk not in held]
    return offers


def _first_fit(
    entry: WaitlistEntry,
    slots: list[Slot],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    window_closes: dt.datetime,
) -> dt.datetime | None:
    busy = entry.service.busy_time
    tz = entry.salon.tz
    # The freed starts themselves first, then earlier ones that run into the
    # freed time: offering the exact time that came free leaves no gaps.
    order = sorted(range(len(slots)), key=lambda i: (slots[i].start < start, slots[i].start))
    for index in order:
        slot = slots[index]
        if slot.start <= now or slot.start > window_closes or slot.start >= end:
            continue
        if slot.start + busy <= start:
            continue  # needs none of the freed time
        if not entry.fits(timezone.localtime(slot.start, tz)):
            continue
        run = [s for s in slots[index:] if s.start < slot.start + busy]
        if covers(run, slot.start, busy):
            return slot.start
    return None


def offer_end(offer: WaitlistOffer, *, now: dt.datetime, pass_on: bool = True, entry_status: str | None = None) -> None:
    """End a live offer that the caller moved to its final status under lock:
    free its slots and put the entry back to waiting (or ``entry_status``).
    With ``pass_on`` the freed time takes the one route for freed time, and
    so goes to the next matching entry; without it (staff withdrew the offer
    to keep the time) it is only freed."""
    released = holds_release(salon=offer.salon, holder=Holder.offer(offer.pk))
    if pass_on and released:
        # Announced while the entry is still "offered", so the matcher passes
        # the time to the next entry rather than straight back to this one.
        slots_freed_announce(salon=offer.salon, slots=released, now=now)
    WaitlistEntry.objects.filter(pk=offer.entry_id, status=WaitlistEntry.Status.OFFERED).update(
        status=entry_status or WaitlistEntry.Status.WAITING, updated_at=now
    )


def offers_expire(*, now: dt.datetime | None = None) -> int:
    """End every live offer past its time and pass its time on. Safe to run
    twice at once: each offer moves with a compare-and-set on its status, so
    a second run (or a claim at the same instant) finds nothing to do."""
    now = now or timezone.now()
    due = list(
        WaitlistOffer.objects.filter(status=WaitlistOffer.Status.LIVE, expires_at__lte=now).values_list("pk", flat=True)
    )
    expired = 0
    for offer_id in due:
        with transaction.atomic():
            moved = WaitlistOffer.objects.filter(
                pk=offer_id, status=WaitlistOffer.Status.LIVE, expires_at__lte=now
            ).update(status=WaitlistOffer.Status.EXPIRED, resolved_at=now)
            if moved != 1:
                continue
            offer = WaitlistOffer.objects.select_related("salon", "staff_member", "entry").get(pk=offer_id)
            offer_end(offer, now=now)
            send_on_commit(
                signals.waitlist_expired,
                sender=WaitlistOffer,
                entry_id=offer.entry_id,
                salon_id=offer.salon_id,
                offer_id=offer.pk,
            )
            expired += 1
    return expired


def entries_close_passed(*, now: dt.datetime | None = None) -> int:
    """Close waiting entries whose last day has passed in their salon's zone."""
    now = now or timezone.now()
    closed = 0
    # A day's margin either side of UTC covers every zone; the exact day is per salon.
    candidates = WaitlistEntry.objects.filter(
        status=WaitlistEntry.Status.WAITING, date_to__lt=now.date() + dt.timedelta(days=1)
    ).select_related("salon")
    for entry in candidates:
        if entry.date_to < timezone.localtime(now, entry.salon.tz).date():
            closed += WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistEntry.Status.WAITING).update(
                status=WaitlistEntry.Status.CLOSED, updated_at=now
            )
    return closed


def offer_freed_by_slots(*, salon_id: int, staff_member_id: int, start, end, now, **kwargs) -> None:
    """Receiver of ``slots_freed``: offer the time in the transaction that
    freed it. A failure here must not undo the cancellation, the unblock or
    the new hours that freed it, so it runs in a savepoint and is logged."""
    try:
        with transaction.atomic():
            staff_member = StaffMember.objects.select_related("salon").get(pk=staff_member_id)
            offer_freed_time(salon=staff_member.salon, staff_member=staff_member, start=start, end=end, now=now)
    except Exception:
        logger.exception("waitlist matching failed", extra={"staff_member_id": staff_member_id})
