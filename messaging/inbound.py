"""What the WhatsApp webhook tells us: delivery statuses of sent messages and
customers' replies. Both are safe to receive twice and in any order.

Statuses move a sent message only forwards (sent < delivered < read; failed
ranks with read): a late ``sent`` never overwrites ``read``, and a replayed
body changes nothing. Replies are kept once per provider message id; what a
reply means (a "CANCEL" cancels the booking it answers) is for the app that
registered the reply handler (``registry.replies_register``) to decide, in
the same transaction as the reply is kept.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce

from messaging import signals
from messaging.models import EarlyStatusReport, InboundReply, Message
from messaging.registry import reply_handle
from messaging.webhook import Reply, StatusUpdate
from salonbook.events import send_on_commit

logger = logging.getLogger("salonbook.messages")

D = Message.Delivery
_RANK = {D.NONE: 0, D.SENT: 1, D.DELIVERED: 2, D.READ: 3, D.FAILED: 3}


EARLY_REPORTS_KEPT = dt.timedelta(days=1)


def message_status_record(*, update: StatusUpdate, now: dt.datetime) -> bool:
    """Record what the provider says about one sent message, whatever order
    the reports arrive in; one about a message whose provider id is not stored
    yet is kept until it is (``early_statuses_apply``).

    Runs outside a transaction, like the sender's storing of the id: each side
    writes, then looks for the other's write, so one of them sees both.
    """
    changed = _status_apply(update, now)
    ours = Message.objects.filter(provider_message_id=update.provider_message_id)
    if changed or ours.exists():
        return changed
    EarlyStatusReport.objects.filter(received_at__lt=now - EARLY_REPORTS_KEPT).delete()
    report = EarlyStatusReport.objects.create(
        provider_message_id=update.provider_message_id,
        status=update.status,
        reported_at=update.at,
        error=update.error,
        received_at=now,
    )
    if not ours.exists():  # a new query: it sees an id stored meanwhile
        return False
    report.delete()  # the id was stored meanwhile
    return _status_apply(update, now)


def early_statuses_apply(*, provider_message_id: str, now: dt.datetime) -> int:
    """Record the statuses reported before ``provider_message_id`` was stored on
    its message, and forget them. Call right after storing it."""
    early = list(EarlyStatusReport.objects.filter(provider_message_id=provider_message_id))
    for report in early:
        _status_apply(StatusUpdate(report.provider_message_id, report.status, report.reported_at, report.error), now)
    EarlyStatusReport.objects.filter(pk__in=[report.pk for report in early]).delete()
    return len(early)


def _status_apply(update: StatusUpdate, now: dt.datetime) -> bool:
    """One conditional UPDATE: it applies only while the stored status ranks
    lower, so a late ``sent`` never overwrites ``read`` and a replay changes nothing."""
    new = D(update.status)
    lower = [status for status, rank in _RANK.items() if rank < _RANK[new]]
    changes: dict = {"delivery_status": new, "updated_at": now}
    if new in (D.DELIVERED, D.READ):
        # Read implies delivered, even if that report is late or never comes.
        changes["delivered_at"] = Coalesce(F("delivered_at"), Value(update.at))
    if new == D.READ:
        changes["read_at"] = Coalesce(F("read_at"), Value(update.at))
    if new == D.FAILED:
        changes["last_error"] = f"provider: {update.error or 'failed'}"
    matched = Message.objects.filter(provider_message_id=update.provider_message_id, delivery_status__in=lower)
    found = list(matched.values_list("id", "kind")[:1])
    changed = matched.update(**changes)
    if new == D.DELIVERED and not changed:
        # Read first, delivered late: only the missing time is filled in.
        Message.objects.filter(provider_message_id=update.provider_message_id, delivered_at__isnull=True).update(
            delivered_at=update.at
        )
    if changed and found and new != D.SENT:
        message_id, kind = found[0]
        send_on_commit(signals.message_status_reported, sender=Message, message_id=message_id, kind=kind, status=new)
    return bool(changed)


def inbound_reply_receive(*, reply: Reply, now: dt.datetime) -> InboundReply | None:
    """Keep a customer's reply, with what the reply handler made of it.
    Returns None for a reply already received (a replayed webhook)."""
    answered = None
    if reply.context_id:
        answered = Message.objects.filter(provider_message_id=reply.context_id).first()
    # One transaction: the reply is kept together with what it did, so a
    # crash half-way leaves neither and Meta's retry does it all again.
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = InboundReply.objects.create(
                    provider_message_id=reply.provider_message_id,
                    from_phone=reply.from_phone,
                    text=reply.text or reply.button,
                    in_reply_to=answered,
                    received_at=reply.at,
                )
        except IntegrityError:
            return None  # received before: the webhook was replayed
        result = reply_handle(reply, answered, now)
        row.subject, row.salon_id, row.outcome = result.subject, result.salon_id, result.outcome
        row.save(update_fields=["subject", "salon_id", "outcome"])
    return row
