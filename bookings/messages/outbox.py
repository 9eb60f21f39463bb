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

from django.db import transaction
from django.db.models import Q

from bookings.models import Booking, Message
from salons.models import Salon

logger = logging.getLogger(__name__)

S = Message.Status
K = Message.Kind
PENDING = (S.SCHEDULED, S.QUEUED)  # not yet in a worker's hands: can still be withdrawn
LIVE = (S.SCHEDULED, S.QUEUED, S.SENDING)

# Kinds that are only true while their booking is active: the dispatcher and
# the send task cancel them once it is not. A cancellation notice is not.
NEED_ACTIVE_BOOKING = frozenset({K.BOOKING_RECEIVED, K.BOOKING_CONFIRMED, K.BOOKING_MOVED})
SALON_ALERTS = frozenset({K.SALON_NEW_BOOKING, K.SALON_CANCELLED_BOOKING})


def needs_active_booking(kind: str) -> bool:
    return kind in NEED_ACTIVE_BOOKING or kind.startswith("reminder_")


def message_row(
    *,
    salon: Salon,
    kind: str,
    to: str,
    due_at: dt.datetime,
    now: dt.datetime,
    booking: Booking | None = None,
    parameters: dict[str, Any] | None = None,
    expires_at: dt.datetime | None = None,
) -> Message | None:
    """One outbox row, not yet written (``messages_write`` writes it); None
    when there is nobody to send to (a salon without a WhatsApp number).
    ``parameters`` are what the text is rendered from; a booking's own
    details are filled in when it is sent."""
    if not to:
        return None
    return Message(
        salon=salon,
        booking=booking,
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
    from bookings.tasks import send_due_messages  # the tasks module imports the delivery machinery

    try:
        send_due_messages.apply_async(args=[message_ids, now.isoformat()], retry=False)
    except Exception as exc:  # the broker is down: the dispatcher will find them
        logger.warning("could not hand messages over: %s", type(exc).__name__)


def messages_supersede(
    *, booking: Booking, kinds: Iterable[str] | None = None, reminders: bool = False, reason: str, now: dt.datetime
) -> int:
    """Withdraw ``booking``'s pending messages of ``kinds`` (and its reminders
    with ``reminders=True``) that a change made untrue. One already ``sending``
    cannot be called back; the send task re-checks the booking just before it
    calls the provider, which narrows that to a few milliseconds."""
    pending = Message.objects.filter(booking_id=booking.pk, status__in=PENDING)
    condition = Q(kind__in=list(kinds or ()))
    if reminders:
        condition |= Q(kind__startswith="reminder_")
    return pending.filter(condition).update(status=S.CANCELLED, claim_token=None, last_error=reason, updated_at=now)
