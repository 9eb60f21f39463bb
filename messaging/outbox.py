"""The outbox's front door: the one way any service adds or withdraws messages.

``messages_write`` writes rows (built by ``message_row``) inside the caller's
transaction, so a message exists exactly when the change that owes it was
committed: a crash after the commit cannot lose it, and a rolled-back change
leaves none behind.
``messages_supersede`` withdraws the pending messages a change made untrue
(in the same transaction). Rows due at once are handed over to a worker
after commit; if that hand-over fails, beat's next dispatcher run sends them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from messaging.kinds import REMINDER_PREFIX
from messaging.models import Message
from messaging.registry import untrue_messages
from messaging.tasks import send_due_messages

logger = logging.getLogger(__name__)

S = Message.Status
PENDING = (S.SCHEDULED, S.QUEUED)  # not yet in a worker's hands: can still be withdrawn
LIVE = (S.SCHEDULED, S.QUEUED, S.SENDING)


def message_row(
    *,
    salon_id: int,
    subject: str,
    kind: str,
    to: str,
    due_at: dt.datetime,
    now: dt.datetime,
    parameters: dict[str, Any] | None = None,
    expires_at: dt.datetime | None = None,
) -> Message | None:
    """One outbox row, not yet written (``messages_write`` writes it); None
    when there is nobody to send to (a salon without a WhatsApp number).
    ``parameters`` are what the text is rendered from; the subject's own
    details are filled in when it is sent (``registry.SubjectHandler.describe``)."""
    if not to:
        return None
    return Message(
        salon_id=salon_id,
        subject=subject,
        kind=kind,
        to=to,
        parameters=parameters or {},
        due_at=due_at,
        next_attempt_at=max(due_at, now),
        expires_at=expires_at,
    )


def messages_write(rows: Iterable[Message | None], *, now: dt.datetime) -> list[Message]:
    """Write ``rows`` to the outbox in one insert, in the caller's transaction
    (the ``transaction.atomic`` block of the change that owes them), and hand
    the ones due now to the dispatcher after commit, together."""
    wanted = [row for row in rows if row is not None]
    if not wanted:
        return []
    created = Message.objects.bulk_create(wanted)
    due_now = [message.pk for message in created if message.due_at <= now]
    if due_now:
        send_soon(due_now, now=now)
    return created


def send_soon(message_ids: list[int], *, now: dt.datetime) -> None:
    """After commit, hand these messages over to be sent without waiting for beat."""
    ids = list(message_ids)
    transaction.on_commit(lambda: messages_hand_over(message_ids=ids, now=now), robust=True)


def messages_hand_over(*, message_ids: list[int], now: dt.datetime) -> None:
    """Queue one task that claims these messages and queues their sends
    (``dispatch.messages_send_due``, in a worker): the request that wrote them
    publishes once, whatever their number, and claims nothing itself. If the
    broker is down they stay scheduled, and beat's next dispatcher run sends
    them."""
    try:
        send_due_messages.apply_async(args=[message_ids, now.isoformat()], retry=False)
    except Exception as exc:  # the broker is down: the dispatcher will find them
        logger.warning("could not hand messages over: %s", type(exc).__name__)


def messages_supersede(
    *, subject: str, kinds: Iterable[str] | None = None, reminders: bool = False, reason: str, now: dt.datetime
) -> int:
    """Withdraw ``subject``'s pending messages of ``kinds`` (and its reminders
    with ``reminders=True``) that a change made untrue. One already ``sending``
    cannot be called back; the send task asks the subject's app again just
    before it calls the provider, which narrows that to a few milliseconds."""
    pending = Message.objects.about(subject).filter(status__in=PENDING)
    condition = Q(kind__in=list(kinds or ()))
    if reminders:
        condition |= Q(kind__startswith=REMINDER_PREFIX)
    return pending.filter(condition).update(status=S.CANCELLED, claim_token=None, last_error=reason, updated_at=now)


def message_retry_now(*, message: Message, now: dt.datetime | None = None) -> bool:
    """Send a failed (or waiting) message again now, with a fresh set of attempts.

    Keeps its idempotency key, so a provider that honours it drops the message
    if an earlier attempt did reach it. Refused (returns False) once it has
    expired, or once its subject's app says it is no longer true (a message
    about a booking that ended, or about a time the booking moved from).
    """
    now = now or timezone.now()
    message = Message.objects.get(pk=message.pk)
    if message.expires_at is not None and message.expires_at <= now:
        return False
    if untrue_messages([message]):
        return False
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
