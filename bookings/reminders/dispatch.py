"""Dispatch: beat's dispatcher hands due reminders to workers.

Owns ``scheduled -> queued``: a due row is claimed by compare-and-set under
a fresh claim token, and one send task is queued per claim with the id and
the token (``bookings.tasks.send_reminder``, which runs ``delivery``). It
also keeps the queue honest before it claims: claims whose lease ran out go
back to ``scheduled`` (or to ``failed`` when a repeat could not be told
apart), rows whose appointment began expire, rows of bookings that ended are
cancelled, and of one booking's reminders due together only the latest goes.
While the breaker is open nothing is claimed.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from bookings.models import Booking, Reminder
from bookings.reminders.breaker import get_breaker
from bookings.reminders.delivery import reminder_expire, reminder_fail, under_claim
from bookings.reminders.providers import get_provider

logger = logging.getLogger("salonbook.reminders")

S = Reminder.Status
FINAL_BOOKING = (Booking.Status.CANCELLED, Booking.Status.COMPLETED, Booking.Status.NO_SHOW)


@dataclass
class DispatchResult:
    claimed: list[int] = field(default_factory=list)
    expired: int = 0
    cancelled: int = 0
    superseded: int = 0
    recovered: int = 0
    unknown: int = 0
    breaker: str = "closed"


def _recover_stale(now: dt.datetime, result: DispatchResult) -> None:
    """Put back work that a dead worker or a lost broker message left behind."""
    queued_before = now - dt.timedelta(seconds=settings.REMINDER_QUEUE_LEASE_SECONDS)
    for reminder_id, token in Reminder.objects.filter(status=S.QUEUED, claimed_at__lt=queued_before).values_list(
        "id", "claim_token"
    ):
        # Queued long ago and never taken: the task was lost. Nothing was sent.
        result.recovered += under_claim(reminder_id, S.QUEUED, token).update(
            status=S.SCHEDULED, claim_token=None, next_attempt_at=now, updated_at=now
        )

    sending_before = now - dt.timedelta(seconds=settings.REMINDER_SEND_LEASE_SECONDS)
    idempotent = get_provider().idempotent
    for reminder_id, token, attempts in Reminder.objects.filter(
        status=S.SENDING, claimed_at__lt=sending_before
    ).values_list("id", "claim_token", "attempts"):
        # The lease outlasts the task's hard time limit: this worker is gone,
        # and whether the provider got the message is unknown.
        if not idempotent:
            result.unknown += reminder_fail(
                reminder_id=reminder_id,
                status=S.SENDING,
                token=token,
                attempts=attempts + 1,
                now=now,
                error="outcome unknown: the worker stopped during the send; not sent again to avoid a duplicate",
            )
        elif attempts + 1 >= settings.REMINDER_MAX_ATTEMPTS:
            result.unknown += reminder_fail(
                reminder_id=reminder_id, status=S.SENDING, token=token, attempts=attempts + 1, now=now,
                error="the worker stopped during the send, out of attempts",
            )
        else:
            result.recovered += under_claim(reminder_id, S.SENDING, token).update(
                status=S.SCHEDULED,
                claim_token=None,
                attempts=attempts + 1,
                next_attempt_at=now,
                last_error="the worker stopped during the send; sending again under the same idempotency key",
                updated_at=now,
            )


def _close_out(now: dt.datetime, result: DispatchResult) -> None:
    """Expire reminders whose appointment has begun; cancel those of bookings that
    ended without their receiver having run (it failed, or ran while Redis was down)."""
    for reminder_id in Reminder.objects.filter(status=S.SCHEDULED, booking__start__lte=now).values_list(
        "id", flat=True
    ):
        result.expired += reminder_expire(
            reminder_id=reminder_id, now=now, reason="the appointment started before it could be sent"
        )
    result.cancelled += Reminder.objects.filter(status=S.SCHEDULED, booking__status__in=FINAL_BOOKING).update(
        status=S.CANCELLED, claim_token=None, last_error="booking no longer active", updated_at=now
    )


def _claim(reminder_id: int, *, now: dt.datetime) -> uuid.UUID | None:
    token = uuid.uuid4()
    claimed = Reminder.objects.filter(id=reminder_id, status=S.SCHEDULED, next_attempt_at__lte=now).update(
        status=S.QUEUED, claim_token=token, claimed_at=now, updated_at=now
    )
    return token if claimed == 1 else None


def _enqueue(claims: list[tuple[int, uuid.UUID]], *, now: dt.datetime) -> None:
    """Hand claimed reminders to workers. A publish that fails puts its row back at once."""
    from bookings.tasks import send_reminder  # the tasks module imports this one

    for index, (reminder_id, token) in enumerate(claims):
        try:
            send_reminder.apply_async(args=[reminder_id, str(token)], retry=False)
        except Exception as exc:  # the broker is down: the dispatcher will try again
            logger.warning("could not queue reminders: %s", type(exc).__name__)
            for other_id, other_token in claims[index:]:
                under_claim(other_id, S.QUEUED, other_token).update(
                    status=S.SCHEDULED, claim_token=None, next_attempt_at=now, updated_at=now
                )
            return


def _claim_due(candidates: list[int], now: dt.datetime, result: DispatchResult) -> list[tuple[int, uuid.UUID]]:
    claims = []
    for reminder_id in candidates:
        token = _claim(reminder_id, now=now)
        if token is not None:
            claims.append((reminder_id, token))
            result.claimed.append(reminder_id)
    return claims


def _supersede(due: list[tuple[int, int, dt.datetime]], now: dt.datetime, result: DispatchResult) -> list[int]:
    """Of one booking's reminders due together (after an outage), only the
    latest goes out: "your appointment is in 2 hours" makes "tomorrow" moot."""
    booking_ids = {booking_id for _, booking_id, _ in due}
    latest: dict[int, dt.datetime] = {}
    for booking_id, due_at in Reminder.objects.filter(booking_id__in=booking_ids).filter(
        status__in=(S.QUEUED, S.SENDING)
    ).values_list("booking_id", "due_at"):
        latest[booking_id] = max(latest.get(booking_id, due_at), due_at)
    for _, booking_id, due_at in due:
        latest[booking_id] = max(latest.get(booking_id, due_at), due_at)
    keep = []
    for reminder_id, booking_id, due_at in due:
        if due_at < latest[booking_id]:
            result.superseded += reminder_expire(
                reminder_id=reminder_id, now=now, reason="superseded by a later reminder for the same time"
            )
        else:
            keep.append(reminder_id)
    return keep


def reminders_dispatch_due(*, now: dt.datetime | None = None, limit: int = 500) -> DispatchResult:
    """Claim the reminders that are due and queue a send task for each.

    Run by beat every ``REMINDER_DISPATCH_SECONDS``; running twice at once is
    harmless (compare-and-set claims). While the breaker is open nothing is
    claimed: reminders wait in the database, attempts untouched. Once its
    cool-down is over, one reminder is sent as the trial; the rest follow
    when it has closed.
    """
    now = now or timezone.now()
    result = DispatchResult()
    _recover_stale(now, result)
    _close_out(now, result)
    gate = get_breaker().gate()
    result.breaker = gate.state
    if gate.is_open:
        return result
    if gate.probing:
        limit = 1
    due = list(
        Reminder.objects.filter(status=S.SCHEDULED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("id", "booking_id", "due_at")[:limit]
    )
    keep = _supersede(due, now, result)
    _enqueue(_claim_due(keep, now, result), now=now)
    if result.claimed or result.expired or result.recovered or result.unknown:
        logger.info(
            "reminders dispatched",
            extra={
                "claimed": len(result.claimed),
                "expired": result.expired,
                "superseded": result.superseded,
                "recovered": result.recovered,
                "unknown": result.unknown,
            },
        )
    return result


def reminders_send_due(*, reminder_ids: list[int], now: dt.datetime | None = None) -> list[int]:
    """Claim and queue these reminders now if they are due, without waiting for
    the next dispatcher run (a booking made inside a reminder's window)."""
    now = now or timezone.now()
    if get_breaker().gate().is_open:
        return []  # they wait in the database for the dispatcher
    result = DispatchResult()
    _enqueue(_claim_due(reminder_ids, now, result), now=now)
    return result.claimed
