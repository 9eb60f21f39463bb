"""Scheduling: the reminder rows a booking owes, and putting one back on schedule.

Owns the moves into ``scheduled`` and out of it before any claim: a booking
made or confirmed gets its rows (``REMINDER_OFFSETS`` before its start), a
cancelled booking cancels them, a moved one cancels them and schedules new
ones, and staff send a failed reminder again ("retry now"). Rows that are
due at once are handed to ``dispatch`` after commit.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings.models import Booking, Reminder
from bookings.reminders.dispatch import reminders_send_due

S = Reminder.Status
LIVE = (S.SCHEDULED, S.QUEUED, S.SENDING)

_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def reminder_offsets() -> list[tuple[str, dt.timedelta]]:
    """``REMINDER_OFFSETS`` as (kind, time before the start), earliest reminder first."""
    offsets = []
    for text in settings.REMINDER_OFFSETS:
        match = re.fullmatch(r"(\d+)([mhd])", text)
        if not match:
            raise ValueError(f"bad reminder offset {text!r}")
        offsets.append((text, dt.timedelta(**{_UNITS[match[2]]: int(match[1])})))
    return sorted(offsets, key=lambda item: item[1], reverse=True)


def reminders_schedule(*, booking: Booking, now: dt.datetime | None = None) -> list[int]:
    """Make sure ``booking`` has its reminders for its current start time.

    Idempotent: a kind that already has a live row, or a row for this very
    start time, is left alone (created and confirmed both call this). Kinds
    whose time has passed while the appointment is still ahead collapse into
    one reminder sent at once: two messages in the same minute would read as
    a duplicate. Returns the ids that are due now, already handed to workers.
    """
    now = now or timezone.now()
    booking = Booking.objects.get(pk=booking.pk)
    if not booking.is_active or booking.start <= now:
        return []
    rows_now = list(booking.reminders.exclude(status=S.CANCELLED).values_list("kind", "due_at", "status"))
    existing = {(kind, due_at) for kind, due_at, _ in rows_now}
    live_kinds = {kind for kind, _, status in rows_now if status in LIVE}
    planned = [(kind, booking.start - offset) for kind, offset in reminder_offsets()]
    past = [item for item in planned if item[1] <= now]
    future = [item for item in planned if item[1] > now]
    wanted = ([past[-1]] if past else []) + future
    if past and any(kind in live_kinds or (kind, due) in existing for kind, due in past):
        wanted = future  # a past-due reminder for this time exists already
    rows = [
        Reminder(booking=booking, kind=kind, due_at=due_at, next_attempt_at=max(due_at, now))
        for kind, due_at in wanted
        if kind not in live_kinds and (kind, due_at) not in existing
    ]
    created: list[Reminder] = []
    for row in rows:
        try:
            with transaction.atomic():
                row.save()
            created.append(row)
        except IntegrityError:
            pass  # a concurrent call scheduled this kind first
    due_now = [row.pk for row in created if row.due_at <= now]
    if due_now:
        transaction.on_commit(lambda: reminders_send_due(reminder_ids=due_now), robust=True)
    return due_now


def reminders_cancel(*, booking: Booking, reason: str = "booking cancelled", now: dt.datetime | None = None) -> int:
    """Cancel the reminders of ``booking`` that have not started sending.

    One already ``sending`` cannot be called back; it re-checks the booking
    just before it calls the provider, which narrows that to a few
    milliseconds.
    """
    now = now or timezone.now()
    return Reminder.objects.filter(booking_id=booking.pk, status__in=(S.SCHEDULED, S.QUEUED)).update(
        status=S.CANCELLED, claim_token=None, last_error=reason, updated_at=now
    )


def reminders_reschedule(*, booking: Booking, now: dt.datetime | None = None) -> list[int]:
    """The booking moved: its pending reminders are cancelled and new ones are
    scheduled for the new time. New rows get new idempotency keys, since the
    message says a different time."""
    now = now or timezone.now()
    with transaction.atomic():
        reminders_cancel(booking=booking, reason="booking moved", now=now)
        return reminders_schedule(booking=booking, now=now)


def reminder_retry_now(*, reminder: Reminder, now: dt.datetime | None = None) -> bool:
    """Send a failed (or waiting) reminder again now, with a fresh set of attempts.

    Keeps its idempotency key, so a provider that honours it drops the message
    if an earlier attempt did reach it. Refused (returns False) once the
    appointment has started or the booking is no longer active.
    """
    now = now or timezone.now()
    reminder = Reminder.objects.select_related("booking").get(pk=reminder.pk)
    booking = reminder.booking
    if not booking.is_active or booking.start <= now:
        return False
    offsets = dict(reminder_offsets())
    if reminder.kind not in offsets or reminder.due_at != booking.start - offsets[reminder.kind]:
        return False  # written for a time the booking has since moved from
    try:
        with transaction.atomic():
            changed = Reminder.objects.filter(id=reminder.pk, status__in=(S.FAILED, S.SCHEDULED)).update(
                status=S.SCHEDULED,
                claim_token=None,
                attempts=0,
                next_attempt_at=now,
                updated_at=now,
            )
    except IntegrityError:
        return False  # another reminder of this kind is already live
    if not changed:
        return False
    ids = [reminder.pk]
    transaction.on_commit(lambda: reminders_send_due(reminder_ids=ids, now=now), robust=True)
    return True
