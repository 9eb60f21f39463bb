"""The reminders a booking owes.

Reminders are ``REMINDER_OFFSETS`` before the start, kinds ``reminder_<offset>``
(``Kind.reminder("24h")``). They are written by the booking's own services,
inside their transactions (``bookings.messages.lifecycle``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from django.conf import settings

from bookings.messages.about import booking_subject
from bookings.models import Booking
from messaging.kinds import Kind
from messaging.models import Message
from messaging.outbox import LIVE, messages_write

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
        offsets.append((Kind.reminder(text).value, dt.timedelta(**{_UNITS[match[2]]: int(match[1])})))
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
        Message.objects.about(booking_subject(booking.pk))
        .reminders()
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
            salon_id=booking.salon_id,
            subject=booking_subject(booking.pk),
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
    return Message.objects.about(booking_subject(booking.pk)).reminders().filter(
        status__in=(S.SCHEDULED, S.QUEUED),
        next_attempt_at__gt=around - QUIET,
        next_attempt_at__lt=around + QUIET,
    ).update(status=S.CANCELLED, claim_token=None, last_error="a confirmation goes out at the same time", updated_at=now)
