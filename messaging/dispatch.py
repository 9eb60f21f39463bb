"""Dispatch: beat's dispatcher hands due messages to workers.

Owns ``scheduled -> queued``: a due row is claimed by compare-and-set under
a fresh claim token, and one send task is queued per claim with the id and
the token (``delivery.send_message``). It also keeps the queue honest
before it claims: claims whose lease ran out go back to ``scheduled`` (or to
``failed`` when a repeat could not be told apart), rows past their expiry
expire, due rows that their subject's app says are no longer true are
cancelled (``registry.untrue_messages``), and of one subject's reminders due
together only the latest goes.
While the breaker is open nothing is claimed.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from messaging.breaker import get_breaker
from messaging.delivery import message_expire, message_fail, send_message, under_claim
from messaging.kinds import REMINDER_PREFIX, Kind
from messaging.models import Message
from messaging.providers import get_provider
from messaging.registry import untrue_messages

logger = logging.getLogger("salonbook.messages")

S = Message.Status


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
    for message_id, token in Message.objects.filter(status=S.QUEUED, claimed_at__lt=queued_before).values_list(
        "id", "claim_token"
    ):
        # Queued long ago and never taken: the task was lost. Nothing was sent.
        result.recovered += under_claim(message_id, S.QUEUED, token).update(
            status=S.SCHEDULED, claim_token=None, next_attempt_at=now, updated_at=now
        )

    sending_before = now - dt.timedelta(seconds=settings.REMINDER_SEND_LEASE_SECONDS)
    idempotent = get_provider().idempotent
    for message_id, token, attempts in Message.objects.filter(
        status=S.SENDING, claimed_at__lt=sending_before
    ).values_list("id", "claim_token", "attempts"):
        # The lease outlasts the task's hard time limit: this worker is gone,
        # and whether the provider got the message is unknown.
        if not idempotent:
            result.unknown += message_fail(
                message_id=message_id,
                status=S.SENDING,
                token=token,
                attempts=attempts + 1,
                now=now,
                error="outcome unknown: the worker stopped during the send; not sent again to avoid a duplicate",
            )
        elif attempts + 1 >= settings.REMINDER_MAX_ATTEMPTS:
            result.unknown += message_fail(
                message_id=message_id, status=S.SENDING, token=token, attempts=attempts + 1, now=now,
                error="the worker stopped during the send, out of attempts",
            )
        else:
            result.recovered += under_claim(message_id, S.SENDING, token).update(
                status=S.SCHEDULED,
                claim_token=None,
                attempts=attempts + 1,
                next_attempt_at=now,
                last_error="the worker stopped during the send; sending again under the same idempotency key",
                updated_at=now,
            )


def _close_out(now: dt.datetime, result: DispatchResult) -> None:
    """Expire messages past their expiry (an appointment that has begun)."""
    for message_id in Message.objects.filter(status=S.SCHEDULED, expires_at__lte=now).values_list(
        "id", flat=True
    ):
        result.expired += message_expire(
            message_id=message_id, now=now, reason="too late: the appointment started before it could be sent"
        )


def _drop_untrue(due: list[Message], now: dt.datetime, result: DispatchResult) -> list[Message]:
    """Cancel the due messages their subject's app says are no longer true
    (a confirmation of a booking that has ended); keep the rest."""
    untrue = untrue_messages(due)
    for message_id, reason in untrue.items():
        result.cancelled += Message.objects.filter(id=message_id, status=S.SCHEDULED).update(
            status=S.CANCELLED, claim_token=None, last_error=reason, updated_at=now
        )
    return [message for message in due if message.pk not in untrue]


def _claim(message_id: int, *, now: dt.datetime) -> uuid.UUID | None:
    token = uuid.uuid4()
    claimed = Message.objects.filter(id=message_id, status=S.SCHEDULED, next_attempt_at__lte=now).update(
        status=S.QUEUED, claim_token=token, claimed_at=now, updated_at=now
    )
    return token if claimed == 1 else None


def _enqueue(claims: list[tuple[int, uuid.UUID]], *, now: dt.datetime) -> None:
    """Hand claimed messages to workers. A publish that fails puts its row back at once."""
    for index, (message_id, token) in enumerate(claims):
        try:
            send_message.apply_async(args=[message_id, str(token)], retry=False)
        except Exception as exc:  # the broker is down: the dispatcher will try again
            logger.warning("could not queue messages: %s", type(exc).__name__)
            for other_id, other_token in claims[index:]:
                under_claim(other_id, S.QUEUED, other_token).update(
                    status=S.SCHEDULED, claim_token=None, next_attempt_at=now, updated_at=now
                )
            return


def _claim_due(candidates: list[int], now: dt.datetime, result: DispatchResult) -> list[tuple[int, uuid.UUID]]:
    claims = []
    for message_id in candidates:
        token = _claim(message_id, now=now)
        if token is not None:
            claims.append((message_id, token))
            result.claimed.append(message_id)
    return claims


def _supersede(due: Sequence[Message], now: dt.datetime, result: DispatchResult) -> list[int]:
    """Of one subject's reminders due together (after an outage), only the
    latest goes out: "your appointment is in 2 hours" makes "tomorrow" moot.
    Other kinds all go."""
    reminders = [m for m in due if m.subject and Kind(m.kind).is_reminder]
    subjects = {m.subject for m in reminders}
    latest: dict[str, dt.datetime] = {}
    in_flight = Message.objects.filter(
        subject__in=subjects, status__in=(S.QUEUED, S.SENDING), kind__startswith=REMINDER_PREFIX
    ).values_list("subject", "due_at")
    for subject, due_at in [*in_flight, *((m.subject, m.due_at) for m in reminders)]:
        latest[subject] = max(latest.get(subject, due_at), due_at)
    keep = []
    for message in due:
        message_id, subject, at = message.pk, message.subject, message.due_at
        if subject and Kind(message.kind).is_reminder and at < latest[subject]:
            result.superseded += message_expire(
                message_id=message_id, now=now, reason="superseded by a later reminder for the same time"
            )
        else:
            keep.append(message_id)
    return keep


def messages_dispatch_due(*, now: dt.datetime | None = None, limit: int = 500) -> DispatchResult:
    """Claim the messages that are due and queue a send task for each.

    Run by beat every ``REMINDER_DISPATCH_SECONDS``; running twice at once is
    harmless (compare-and-set claims). While the breaker is open nothing is
    claimed: messages wait in the database, attempts untouched. Once its
    cool-down is over, one message is sent as the trial; the rest follow
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
        Message.objects.filter(status=S.SCHEDULED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .only("id", "subject", "due_at", "kind", "expires_at", "salon_id")[:limit]
    )
    keep = _supersede(_drop_untrue(due, now, result), now, result)
    _enqueue(_claim_due(keep, now, result), now=now)
    if result.claimed or result.expired or result.recovered or result.unknown:
        logger.info(
            "messages dispatched",
            extra={
                "claimed": len(result.claimed),
                "expired": result.expired,
                "superseded": result.superseded,
                "recovered": result.recovered,
                "unknown": result.unknown,
            },
        )
    return result


def messages_send_due(*, message_ids: list[int], now: dt.datetime | None = None) -> list[int]:
    """Claim and queue these messages now if they are due, without waiting for
    the next dispatcher run (a confirmation, a reminder inside its window)."""
    now = now or timezone.now()
    if get_breaker().gate().is_open:
        return []  # they wait in the database for the dispatcher
    result = DispatchResult()
    _enqueue(_claim_due(message_ids, now, result), now=now)
    return result.claimed
