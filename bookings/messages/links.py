"""WhatsApp click-to-chat links: staff open a chat with the customer, the
reminder text already typed in."""

from __future__ import annotations

from urllib.parse import quote

from bookings.messages.texts import reminder_text
from bookings.models import Booking


def phone_digits(e164: str) -> str:
    """``+44 7911 123456`` -> ``447911123456``: wa.me wants digits only."""
    return "".join(ch for ch in e164 if ch.isdigit())


def click_to_chat_url(booking: Booking) -> str:
    """``https://wa.me/<customer's digits>?text=<reminder text>``.

    The text is UTF-8 and percent-encoded with nothing left unescaped
    (spaces as ``%20``, ``&``, ``#``, ``?``, ``+`` and newlines encoded), so
    names such as "João Müller" or "Zoë 😊" arrive as written.
    """
    text = quote(reminder_text(booking), safe="")
    return f"https://wa.me/{phone_digits(booking.customer_phone)}?text={text}"
