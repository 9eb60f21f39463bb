"""The one place an offer becomes a message to the customer."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.urls import reverse

from bookings.waitlist.models import WaitlistOffer

logger = logging.getLogger(__name__)


def claim_url(offer: WaitlistOffer) -> str:
    """The claim page, the token in the fragment so it never reaches a server log."""
    entry = offer.entry
    path = reverse("waitlist-claim", kwargs={"reference": entry.reference})
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}#{entry.manage_token}"


def notify_offer(offer: WaitlistOffer, *, now: dt.datetime) -> None:
    """Tell the customer about ``offer``. Called inside the offer's transaction,
    so the message is written (or not) together with the hold."""
    logger.info("waitlist offer made", extra={"offer_id": offer.pk, "entry_id": offer.entry_id})
