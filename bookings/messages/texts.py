"""The words of every message, rendered from ``templates/messages/<language>/``
in the salon's language, and the same content as a WhatsApp template's
parameters (names and order are settings)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.template.loader import select_template
from django.utils import dateformat, timezone, translation

from bookings.models import Booking, Message
from salons.models import Salon


def manage_url(booking: Booking) -> str:
    """Where the customer cancels or moves this booking.

    The manage token travels in the fragment, which browsers never send to a
    server, so it stays out of access logs and ``Referer`` headers.
    """
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}/manage/{quote(booking.reference)}/#token={quote(booking.manage_token, safe='')}"


def local_time_text(salon: Salon, moment) -> str:
    """A time in the salon's zone and language, e.g. "Tuesday 5 May, 10:30"."""
    local = timezone.localtime(moment, salon.tz)
    with translation.override(salon.language):
        return dateformat.format(local, "l j F, H:i")


def local_start_text(booking: Booking) -> str:
    return local_time_text(booking.salon, booking.start)


def booking_context(booking: Booking) -> dict[str, str]:
    """What every booking message may say, read from the booking as it is now."""
    return {
        "customer_name": booking.customer_name,
        "customer_phone": booking.customer_phone,
        "salon_name": booking.salon.name,
        "salon_phone": booking.salon.whatsapp_phone,
        "salon_address": booking.salon.address,
        "service_name": booking.service.name,
        "staff_name": booking.staff_member.name,
        "when": local_start_text(booking),
        "manage_url": manage_url(booking),
        "cutoff_hours": str(booking.salon.cancellation_cutoff_hours),
        "reference": booking.reference,
    }


def message_context(message: Message) -> dict[str, Any]:
    """The booking's details, then what the message was written with (a
    move's previous time, say), which wins."""
    context: dict[str, Any] = {"salon_name": message.salon.name, "kind": message.kind}
    if message.booking is not None:
        context.update(booking_context(message.booking))
    context.update(message.parameters or {})
    return context


def _template_name(kind: str) -> str:
    return "reminder" if kind.startswith("reminder_") else kind


def render_text(*, salon: Salon, kind: str, context: dict[str, Any]) -> str:
    """The plain text of a ``kind`` message in the salon's language (English
    when that language has no template for it)."""
    name = _template_name(kind)
    template = select_template([f"messages/{salon.language}/{name}.txt", f"messages/en/{name}.txt"])
    with translation.override(salon.language):
        return template.render(context).strip()


def message_text(message: Message) -> str:
    return render_text(salon=message.salon, kind=message.kind, context=message_context(message))


def reminder_text(booking: Booking) -> str:
    """A reminder of ``booking``, as staff send it by hand from a chat link."""
    return render_text(salon=booking.salon, kind="reminder_", context=booking_context(booking))


def whatsapp_template(message: Message) -> tuple[str | None, str, tuple[str, ...]]:
    """(template name or None for free text, its language code, its body parameters)."""
    kind = message.kind
    name = settings.WHATSAPP_TEMPLATES.get(kind)
    if name is None and message.is_reminder:
        name = settings.WHATSAPP_TEMPLATE or None
    language = settings.WHATSAPP_TEMPLATE_LANGUAGES.get(message.salon.language, message.salon.language)
    if name is None:
        return None, language, ()
    order = settings.WHATSAPP_TEMPLATE_PARAMETERS
    names = order.get(kind) or (order.get("reminder") if message.is_reminder else None) or order["default"]
    context = message_context(message)
    return name, language, tuple(str(context.get(field, "")) for field in names)
