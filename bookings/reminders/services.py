"""Every change to a reminder's state. Nothing else writes to reminder rows.

A reminder is an outbox row that moves, always by compare-and-set on its
status (and its claim token once claimed), through::

    scheduled --claim--> queued --take--> sending --> sent
        ^                  |                 |   \\--> failed (a 4xx, or out of attempts)
        |--lease expired---/                 |--> scheduled (retry with backoff, or
        |--------------------------------------    the breaker is open: no attempt used)
    scheduled|queued --> cancelled (booking cancelled or moved) | expired (start passed)

Exactly once, in effect:

- The dispatcher claims a due row (``scheduled -> queued``) under a fresh
  claim token and queues a task with the id and the token. A task only acts
  if it can move ``queued -> sending`` under that same token, so a duplicated
  or redelivered task, or one whose row was reclaimed, does nothing.
- The row is ``sending`` while the provider is called, outside any
  transaction; the result is written back under the token.
- A worker killed during a send leaves the row ``sending``. Once its lease
  (longer than the task's hard time limit) has passed, the dispatcher knows
  the worker is gone but not whether the provider got the message. If the
  provider drops repeats of an idempotency key (``WHATSAPP_IDEMPOTENT``), the
  reminder goes out again under the same key; if not, it is marked failed for
  a person to check rather than risk a second message. A read timeout (sent,
  no answer) is the same doubt and gets the same answer.

What is left: with an idempotent provider, nothing that we can see. Without
one, no duplicate either, but a reminder whose outcome is unknown is not sent
again on its own (status failed, "outcome unknown", admin "retry now"). Both
rest on the task's hard time limit being shorter than the lease and on the
clocks of the machines agreeing to well within the difference (a minute).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from bookings import signals
from bookings.breaker import CircuitBreakerError, get_breaker
from bookings.models import Booking, Reminder
from bookings.providers import OutgoingMessage, PermanentError, ProviderError, get_provider
from bookings.reminders.messages import reminder_parameters, reminder_text
from salonbook.events import send_now

logger = logging.getLogger("salonbook.reminders")

S = Reminder.Status
LIVE = (S.SCHEDULED, S.QUEUED, S.SENDING)
FINAL_BOOKING = (Booking.Status.CANCELLED, Booking.Status.COMPLETED, Booking.Status.NO_SHOW)

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


def retry_delay(attempts: int, *, retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Seconds to wait after ``attempts`` failed sends: exponential, capped, with
    "equal jitter" (half fixed, half random) so that reminders failed together
    do not all come back in the same second, yet never retry at once."""
    rng = rng or random
    ceiling = min(settings.REMINDER_RETRY_MAX_SECONDS, settings.REMINDER_RETRY_BASE_SECONDS * 2 ** (attempts - 1))
    delay = ceiling / 2 + rng.uniform(0, ceiling / 2)
    if retry_after is not None:  # the provider said when (429): never earlier
        delay = max(delay, min(retry_after, settings.REMINDER_RETRY_MAX_SECONDS))
    return delay


def _owned(reminder_id: int, status: str, token: uuid.UUID | None):
    return Reminder.objects.filter(id=reminder_id, status=status, claim_token=token)


def _emit(signal, **kwargs) -> None:
    send_now(signal, sender=Reminder, **kwargs)


# --- Scheduling (called by the booking event receivers) -----------------------------


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
    due_now = [row.pk for row in created if row.next_attempt_at <= now]
    if due_now:
        transaction.on_commit(lambda: reminders_send_due(reminder_ids=due_now), robust=True)
    return due_now


def reminders_cancel(*, booking: Booking, reason: str = "booking cancelled") -> int:
    """Cancel the reminders of ``booking`` that have not started sending.

    One already ``sending`` cannot be called back; it re-checks the booking
    just before it calls the provider, which narrows that to a few
    milliseconds.
    """
    now = timezone.now()
    return Reminder.objects.filter(booking_id=booking.pk, status__in=(S.SCHEDULED, S.QUEUED)).update(
        status=S.CANCELLED, claim_token=None, last_error=reason, updated_at=now
    )


def reminders_reschedule(*, booking: Booking, now: dt.datetime | None = None) -> list[int]:
    """The booking moved: its pending reminders are cancelled and new ones are
    scheduled for the new time. New rows get new idempotency keys, since the
    message says a different time."""
    with transaction.atomic():
        reminders_cancel(booking=booking, reason="booking moved")
        return reminders_schedule(booking=booking, now=now)


# --- Dispatching (the periodic task) -------------------------------------------------


@dataclass
class DispatchResult:
    claimed: list[int] = field(default_factory=list)
    expired: int = 0
    cancelled: int = 0
    superseded: int = 0
    recovered: int = 0
    unknown: int = 0
    breaker: str = "closed"


def _expire(reminder_id: int, *, status: str = S.SCHEDULED, token=None, reason: str) -> bool:
    changed = _owned(reminder_id, status, token).update(
        status=S.EXPIRED, claim_token=None, last_error=reason, updated_at=timezone.now()
    )
    if changed:
        _emit(signals.reminder_expired, reminder_id=reminder_id)
    return bool(changed)


def _fail(reminder_id: int, *, status: str, token, error: str, attempts=None) -> bool:
    update = {"status": S.FAILED, "claim_token": None, "last_error": error, "updated_at": timezone.now()}
    if attempts is not None:
        update["attempts"] = attempts
    changed = _owned(reminder_id, status, token).update(**update)
    if changed:
        logger.warning("reminder %s failed: %s", reminder_id, error, extra={"reminder_id": reminder_id})
        _emit(signals.reminder_failed, reminder_id=reminder_id, error=error)
    return bool(changed)


def _recover_stale(now: dt.datetime, result: DispatchResult) -> None:
    """Put back work that a dead worker or a lost broker message left behind."""
    queued_before = now - dt.timedelta(seconds=settings.REMINDER_QUEUE_LEASE_SECONDS)
    for reminder_id, token in Reminder.objects.filter(status=S.QUEUED, claimed_at__lt=queued_before).values_list(
        "id", "claim_token"
    ):
        # Queued long ago and never taken: the task was lost. Nothing was sent.
        result.recovered += _owned(reminder_id, S.QUEUED, token).update(
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
            result.unknown += _fail(
                reminder_id,
                status=S.SENDING,
                token=token,
                attempts=attempts + 1,
                error="outcome unknown: the worker stopped during the send; not sent again to avoid a duplicate",
            )
        elif attempts + 1 >= settings.REMINDER_MAX_ATTEMPTS:
            result.unknown += _fail(
                reminder_id, status=S.SENDING, token=token, attempts=attempts + 1,
                error="the worker stopped during the send, out of attempts",
            )
        else:
            result.recovered += _owned(reminder_id, S.SENDING, token).update(
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
        result.expired += _expire(reminder_id, reason="the appointment started before it could be sent")
    result.cancelled += Reminder.objects.filter(status=S.SCHEDULED, booking__status__in=FINAL_BOOKING).update(
        status=S.CANCELLED, claim_token=None, last_error="booking no longer active", updated_at=now
    )


def _claim(reminder_id: int, *, now: dt.datetime) -> uuid.UUID | None:
    token = uuid.uuid4()
    claimed = Reminder.objects.filter(id=reminder_id, status=S.SCHEDULED, next_attempt_at__lte=now).update(
        status=S.QUEUED, claim_token=token, claimed_at=now, updated_at=now
    )
    return token if claimed == 1 else None


def _enqueue(claims: list[tuple[int, uuid.UUID]]) -> None:
    """Hand claimed reminders to workers. A publish that fails puts its row back at once."""
    from bookings.tasks import send_reminder

    for index, (reminder_id, token) in enumerate(claims):
        try:
            send_reminder.apply_async(args=[reminder_id, str(token)], retry=False)
        except Exception as exc:  # the broker is down: the dispatcher will try again
            logger.warning("could not queue reminders: %s", type(exc).__name__)
            now = timezone.now()
            for other_id, other_token in claims[index:]:
                _owned(other_id, S.QUEUED, other_token).update(
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
            result.superseded += _expire(reminder_id, reason="superseded by a later reminder for the same time")
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
    _enqueue(_claim_due(keep, now, result))
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
    _enqueue(_claim_due(reminder_ids, now, result))
    return result.claimed


# --- Sending (the send task) -------------------------------------------------------


def _wait_for_breaker(reminder_id: int, token: uuid.UUID, reopens_at: dt.datetime | None) -> None:
    now = timezone.now()
    # A few seconds of jitter so the first dispatcher run after the cool-down
    # does not find every waiting reminder due in the same instant.
    at = max(reopens_at or now, now) + dt.timedelta(seconds=random.uniform(0, 5))
    _owned(reminder_id, S.SENDING, token).update(
        status=S.SCHEDULED, claim_token=None, next_attempt_at=at, last_error="waiting: provider circuit open",
        updated_at=now,
    )


def _retry_later(reminder_id: int, token: uuid.UUID, attempts: int, exc: Exception, error: str) -> str:
    if attempts >= settings.REMINDER_MAX_ATTEMPTS:
        _fail(reminder_id, status=S.SENDING, token=token, error=error, attempts=attempts)
        return "failed"
    after = timezone.now()
    delay = retry_delay(attempts, retry_after=getattr(exc, "retry_after", None))
    changed = _owned(reminder_id, S.SENDING, token).update(
        status=S.SCHEDULED,
        claim_token=None,
        attempts=attempts,
        last_error=error,
        next_attempt_at=after + dt.timedelta(seconds=delay),
        updated_at=after,
    )
    if changed:
        logger.info("reminder %s will retry in %.0fs: %s", reminder_id, delay, error, extra={"reminder_id": reminder_id})
        _emit(signals.reminder_retried, reminder_id=reminder_id, error=error)
    return "retry"


def reminder_deliver(*, reminder_id: int, claim_token: str, now: dt.datetime | None = None) -> str:
    """Send one claimed reminder. Returns the outcome: ``sent``, ``retry``,
    ``failed``, ``waiting``, ``expired``, ``cancelled`` or ``skipped``.

    Never inside a transaction: each write is one autocommitted
    compare-and-set, and the provider is called between them.
    """
    now = now or timezone.now()
    try:
        token = uuid.UUID(str(claim_token))
    except ValueError:
        return "skipped"
    taken = _owned(reminder_id, S.QUEUED, token).update(status=S.SENDING, claimed_at=now, updated_at=now)
    if taken != 1:
        # A redelivered or duplicated task, or a row reclaimed since: not ours.
        logger.info("reminder %s not taken: claim is gone", reminder_id, extra={"reminder_id": reminder_id})
        return "skipped"

    reminder = Reminder.objects.select_related(
        "booking__salon", "booking__service", "booking__staff_member"
    ).get(id=reminder_id)
    booking = reminder.booking
    if not booking.is_active:
        _owned(reminder_id, S.SENDING, token).update(
            status=S.CANCELLED, claim_token=None, last_error="booking no longer active", updated_at=now
        )
        return "cancelled"
    if booking.start <= now:
        _expire(reminder_id, status=S.SENDING, token=token, reason="the appointment started before it could be sent")
        return "expired"

    breaker = get_breaker()
    gate = breaker.gate()
    if gate.is_open:
        _wait_for_breaker(reminder_id, token, gate.reopens_at)
        return "waiting"

    attempts = reminder.attempts + 1
    try:
        message = OutgoingMessage(
            to=booking.customer_phone,
            text=reminder_text(booking, kind=reminder.kind),
            idempotency_key=str(reminder.idempotency_key),
            parameters=reminder_parameters(booking, kind=reminder.kind),
        )
    except Exception as exc:  # a template or data bug: nothing was sent
        logger.exception("reminder %s: could not render the message", reminder_id)
        return _retry_later(reminder_id, token, attempts, exc, f"message not rendered: {type(exc).__name__}")
    provider = get_provider()
    try:
        message_id = breaker.call(provider.send, message)
    except CircuitBreakerError:
        # Opened by another worker since the gate check: the provider was not called.
        _wait_for_breaker(reminder_id, token, breaker.gate().reopens_at)
        return "waiting"
    except PermanentError as exc:
        _fail(reminder_id, status=S.SENDING, token=token, error=str(exc), attempts=attempts)
        return "failed"
    except Exception as exc:
        if isinstance(exc, ProviderError):
            error, ambiguous = str(exc), exc.ambiguous
        else:  # a bug in the middle of a send: whether it left is unknown
            logger.exception("reminder %s: unexpected error while sending", reminder_id)
            error, ambiguous = f"unexpected error {type(exc).__name__}", True
        if ambiguous and not provider.idempotent:
            # It may have arrived, and a repeat could not be recognised: a
            # person decides (admin "retry now") rather than risk a duplicate.
            _fail(
                reminder_id, status=S.SENDING, token=token, attempts=attempts,
                error=f"outcome unknown: {error}; not sent again to avoid a duplicate",
            )
            return "failed"
        return _retry_later(reminder_id, token, attempts, exc, error)

    sent_at = timezone.now()
    marked = _owned(reminder_id, S.SENDING, token).update(
        status=S.SENT,
        claim_token=None,
        attempts=attempts,
        sent_at=sent_at,
        provider_message_id=message_id,
        last_error="",
        updated_at=sent_at,
    )
    if not marked:
        # Only possible if this send outlived its lease (the time limit should
        # prevent that): the row was taken over and the provider's idempotency
        # is what keeps the customer from a second message.
        logger.error("reminder %s sent but its claim was gone", reminder_id, extra={"reminder_id": reminder_id})
    _emit(signals.reminder_sent, reminder_id=reminder_id, kind=reminder.kind)
    return "sent"


# --- Staff and admin -----------------------------------------------------------------


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


__all__ = [
    "DispatchResult",
    "reminder_deliver",
    "reminder_offsets",
    "reminder_retry_now",
    "reminders_cancel",
    "reminders_dispatch_due",
    "reminders_reschedule",
    "reminders_schedule",
    "reminders_send_due",
    "retry_delay",
]
