"""The one place an offer becomes a message to the customer."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from django.conf import settings
from django.urls import reverse

from bookings.messages.outbox import message_row, messages_write
from bookings.messages.texts import local_time_text
from bookings.models import Message
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
        salon=salon,
        kind=Message.Kind.WAITLIST_OFFER,
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
