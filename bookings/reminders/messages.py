"""The words of a reminder, rendered from ``templates/reminders/``."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import dateformat, timezone

from bookings.models import Booking


def manage_url(booking: Booking) -> str:
    """Where the customer cancels or moves this booking.

    The manage token travels in the fragment, which browsers never send to a
    server, so it stays out of access logs and ``Referer`` headers.
    """
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}/manage/{quote(booking.reference)}/#token={quote(booking.manage_token, safe='')}"


def local_start_text(booking: Booking) -> str:
    """The start in the salon's own time zone, e.g. "Tuesday 5 May, 10:30"."""
    local = timezone.localtime(booking.start, booking.salon.tz)
    return dateformat.format(local, "l j F, H:i")


# The order of the body parameters of an approved WhatsApp template
# ({{1}}..{{5}}), for providers that only take templates outside a chat.
TEMPLATE_PARAMETERS = ("customer_name", "service_name", "salon_name", "when", "manage_url")


def reminder_context(booking: Booking, *, kind: str = "") -> dict[str, str]:
    return {
        "customer_name": booking.customer_name,
        "salon_name": booking.salon.name,
        "service_name": booking.service.name,
        "staff_name": booking.staff_member.name,
        "when": local_start_text(booking),
        "manage_url": manage_url(booking),
        "kind": kind,
    }


def reminder_text(booking: Booking, *, kind: str = "") -> str:
    """The reminder message for ``booking`` (plain text, no HTML escaping)."""
    return render_to_string("reminders/reminder.txt", reminder_context(booking, kind=kind)).strip()


def reminder_parameters(booking: Booking, *, kind: str = "") -> tuple[str, ...]:
    context = reminder_context(booking, kind=kind)
    return tuple(context[name] for name in TEMPLATE_PARAMETERS)
