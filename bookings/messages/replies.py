"""What a customer's WhatsApp reply means for their booking, registered with
the outbox (``messaging.registry.replies_register``) by ``hooks``.

A reply "CANCEL" (or the template's cancel button) cancels the booking that
the message it answers was about (the reply's ``context.id``); without one,
the customer's next booking at the salon whose number they wrote to. It goes
through ``booking_cancel`` as the customer, so the cut-off applies; past it
the customer is told so through the outbox. Any other reply is kept for
staff on its booking. Runs inside the transaction that keeps the reply.
"""

from __future__ import annotations

import datetime as dt
import logging

from bookings.messages import lifecycle
from bookings.messages.about import booking_id_of, booking_subject
from bookings.models import Booking
from bookings.services import Actor, booking_cancel
from messaging.models import InboundReply, Message
from messaging.registry import ReplyResult
from messaging.webhook import Reply
from salonbook.errors import DomainError

logger = logging.getLogger("salonbook.messages")

# What a customer sends to cancel: typed (any case) or a template button's payload.
CANCEL_WORDS = frozenset({"CANCEL", "CANCELAR"})
Outcome = InboundReply.Outcome


def _wants_cancel(reply: Reply) -> bool:
    return reply.button.strip().upper() in CANCEL_WORDS or reply.text.strip().upper() in CANCEL_WORDS


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def _next_booking(reply: Reply, now: dt.datetime) -> Booking | None:
    """Without a context: the customer's next active booking, at the salon
    whose number they wrote to when one has it."""
    bookings = Booking.objects.filter(
        customer_phone=reply.from_phone, status__in=Booking.ACTIVE_STATUSES, start__gt=now
    ).select_related("salon")
    at_salon = [b for b in bookings.order_by("start")[:20] if _digits(b.salon.whatsapp_phone) == reply.business_phone]
    return at_salon[0] if at_salon else bookings.order_by("start").first()


def booking_reply_handle(reply: Reply, answered: Message | None, now: dt.datetime) -> ReplyResult:
    """Find the booking ``reply`` is about and act on a cancel; say what came of it."""
    booking = None
    answered_booking_id = booking_id_of(answered.subject) if answered is not None else None
    if answered_booking_id is not None:
        booking = Booking.objects.select_related("salon").filter(pk=answered_booking_id).first()
    if booking is None:
        booking = _next_booking(reply, now)
    if booking is None:
        return ReplyResult(
            subject=answered.subject if answered is not None else "",
            salon_id=answered.salon_id if answered is not None else None,
        )
    subject, salon_id = booking_subject(booking.pk), booking.salon_id
    # Only the booking's own customer can cancel it by message.
    if not _wants_cancel(reply) or booking.customer_phone != reply.from_phone:
        return ReplyResult(subject=subject, salon_id=salon_id, outcome=Outcome.STORED)
    try:
        booking_cancel(booking=booking, actor=Actor.customer(), reason="cancelled by WhatsApp reply", now=now)
    except DomainError as refusal:  # past the cut-off, started, already over
        logger.info("cancel by reply refused: %s", refusal.code, extra={"reply_id": reply.provider_message_id})
        lifecycle.booking_messages_cancel_refused(booking=booking, now=now)
        return ReplyResult(subject=subject, salon_id=salon_id, outcome=Outcome.REFUSED)
    return ReplyResult(subject=subject, salon_id=salon_id, outcome=Outcome.CANCELLED)
