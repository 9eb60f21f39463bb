"""Scheduling: the reminders a booking owes, and putting a message back on
schedule ("retry now").

Reminders are ``REMINDER_OFFSETS`` before the start, kinds ``reminder_<offset>``
(``reminder_24h``). They are written by the booking's own services, inside
their transactions (``bookings.messages.lifecycle``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings.messages.outbox import LIVE, messages_write, needs_active_booking, send_soon
from bookings.models import Booking, Message

S = Message.Status

# No reminder goes out in the same half hour as a confirmation (or a move
# notice): two messages about one appointment at once read as a duplicate.
QUIET = dt.timedelta(minutes=30)

_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def reminder_offsets() -> list[tuple[str, dt.timedelta]]:
    """``REMINDER_OFFSETS`` as (kind, time before the start), earliest reminder first."""
    offsets = []
    for text in settings.REMINDER_OFFSETS:
        match = re.fullmatch(r"(\d+)([mhd])", text)
        if not match:
            raise ValueError(f"bad reminder offset {text!r}")
        offsets.append((f"reminder_{text}", dt.timedelta(**{_UNITS[match[2]]: int(match[1])})))
    return sorted(offsets, key=lambda item: item[1], reverse=True)


def reminders_schedule(*, booking: Booking, now: dt.datetime, quiet_at: dt.datetime | None = None) -> list[Message]:
    """Make sure ``booking`` has its reminders for its current start time.

    Called inside the transaction of the change, with the booking locked (or
    just created), so no two calls race. Idempotent: a kind that already has
    a live row, or a row for this very start time, is left alone. Kinds whose
    time has passed while the appointment is still ahead collapse into one
    reminder sent at once. A reminder that would go out within ``QUIET`` of
    ``quiet_at`` (a confirmation sent then) is not written.
    """
    if not booking.is_active or booking.start <= now:
        return []
    existing = list(
        booking.messages.filter(kind__startswith="reminder_")
        .exclude(status=S.CANCELLED)
        .values_list("kind", "due_at", "status")
    )
    return messages_write(reminder_rows(booking=booking, now=now, quiet_at=quiet_at, existing=existing), now=now)


def reminder_rows(
    *,
    booking: Booking,
    now: dt.datetime,
    quiet_at: dt.datetime | None,
    existing: Sequence[tuple[str, dt.datetime, str]],
) -> list[Message]:
    """The reminder rows ``reminders_schedule`` would write, not yet written,
    given the booking's ``existing`` reminders as ``(kind, due_at, status)``
    (none for a booking being created)."""
    if not booking.is_active or booking.start <= now:
        return []
    written = {(kind, due_at) for kind, due_at, _ in existing}
    live_kinds = {kind for kind, _, status in existing if status in LIVE}
    planned = [(kind, booking.start - offset) for kind, offset in reminder_offsets()]
    past = [item for item in planned if item[1] <= now]
    future = [item for item in planned if item[1] > now]
    wanted = ([past[-1]] if past else []) + future
    if past and any(kind in live_kinds or (kind, due) in written for kind, due in past):
        wanted = future  # a past-due reminder for this time exists already
    if quiet_at is not None:
        wanted = [(kind, due) for kind, due in wanted if abs(max(due, now) - quiet_at) >= QUIET]
    return [
        Message(
            salon=booking.salon,
            booking=booking,
            kind=kind,
            to=booking.customer_phone,
            due_at=due_at,
            next_attempt_at=max(due_at, now),
            expires_at=booking.start,
        )
        for kind, due_at in wanted
        if kind not in live_kinds and (kind, due_at) not in written
    ]


def reminders_quiet(*, booking: Booking, around: dt.datetime, now: dt.datetime) -> int:
    """Withdraw pending reminders that would go out within ``QUIET`` of a
    confirmation sent at ``around``."""
    return Message.objects.filter(
        booking_id=booking.pk,
        kind__startswith="reminder_",
        status__in=(S.SCHEDULED, S.QUEUED),
        next_attempt_at__gt=around - QUIET,
        next_attempt_at__lt=around + QUIET,
    ).update(status=S.CANCELLED, claim_token=None, last_error="a confirmation goes out at the same time", updated_at=now)


def message_retry_now(*, message: Message, now: dt.datetime | None = None) -> bool:
    """Send a failed (or waiting) message again now, with a fresh set of attempts.

    Keeps its idempotency key, so a provider that honours it drops the message
    if an earlier attempt did reach it. Refused (returns False) once it has
    expired, once a message that needs an active booking has lost it, or when
    it was written for a time the booking has since moved from.
    """
    now = now or timezone.now()
    message = Message.objects.select_related("booking").get(pk=message.pk)
    booking = message.booking
    if message.expires_at is not None and message.expires_at <= now:
        return False
    if booking is not None:
        if needs_active_booking(message.kind) and not booking.is_active:
            return False
        if message.expires_at is not None and message.expires_at != booking.start:
            return False  # written for a time the booking has since moved from
    try:
        with transaction.atomic():
            changed = Message.objects.filter(id=message.pk, status__in=(S.FAILED, S.SCHEDULED)).update(
                status=S.SCHEDULED,
                claim_token=None,
                attempts=0,
                next_attempt_at=now,
                updated_at=now,
            )
            if changed:
                send_soon([message.pk], now=now)
    except IntegrityError:
        return False  # another reminder of this kind is already live
    return bool(changed)
