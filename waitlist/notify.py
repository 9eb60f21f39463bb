"""The one place an offer becomes a message to the customer."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from django.conf import settings
from django.urls import reverse

from bookings.messages.about import WAITLIST_OFFER
from bookings.messages.texts import local_time_text
from messaging.kinds import Kind
from messaging.models import Message
from messaging.outbox import message_row, messages_write
from messaging.registry import Description, SubjectHandler, subject_register
from messaging.subjects import Subject
from waitlist.models import WaitlistOffer


def claim_url(offer: WaitlistOffer) -> str:
    """The claim page; the token travels in the fragment, which browsers never
    send to a server, so it stays out of access logs and ``Referer`` headers."""
    entry = offer.entry
    path = reverse("waitlist-claim", kwargs={"reference": entry.reference})
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}#token={quote(entry.manage_token, safe='')}"


def notify_offer(offer: WaitlistOffer, *, now: dt.datetime) -> None:
    """Write the WhatsApp offer to the outbox, in the offer's transaction: the
    message exists exactly when the hold does. It expires with the offer, so
    a late send never offers time that is no longer held."""
    entry = offer.entry
    salon = offer.salon
    offer_message = message_row(
        salon_id=salon.pk,
        subject=Subject(WAITLIST_OFFER, offer.pk).key,
        kind=Kind.WAITLIST_OFFER,
        to=entry.customer_phone,
        due_at=now,
        now=now,
        expires_at=offer.expires_at,
        parameters={
            "customer_name": entry.customer_name,
            "service_name": entry.service.name,
            "staff_name": offer.staff_member.name,
            "when": local_time_text(salon, offer.start),
            "expires": local_time_text(salon, offer.expires_at),
            "claim_url": claim_url(offer),
        },
    )
    messages_write([offer_message], now=now)


def offer_message_describe(message: Message) -> Description:
    """An offer is worded in its salon's language; the rest was written with it."""
    parsed = Subject.parse(message.subject)
    offer = WaitlistOffer.objects.select_related("salon").get(pk=parsed.id if parsed is not None else 0)
    return Description(language=offer.salon.language, context={"salon_name": offer.salon.name})


def register_with_messaging() -> None:
    subject_register(WAITLIST_OFFER, SubjectHandler(describe=offer_message_describe))
