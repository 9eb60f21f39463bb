"""What a booking's messages say about it: the context their templates
(``templates/messages/<language>/``) are rendered from at send time, in the
salon's language (``messaging.texts`` renders them), and the manage link."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.utils import dateformat, timezone, translation
from django.utils.translation import pgettext

from bookings.models import Booking
from messaging.kinds import Kind
from messaging.texts import render_text
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


def _in_order(salon: Salon, names: list[str]) -> str:
    """A visit's names in order, in the salon's language: "Colour, then Cut & Finish"."""
    with translation.override(salon.language):
        return pgettext("between the services of one visit", ", then ").join(names)


def booking_context(booking: Booking) -> dict[str, str]:
    """What every booking message may say, read from the booking as it is now.
    A visit names each of its services and staff members, in order, where a
    single booking names its one (the message templates stay the same)."""
    parts = list(booking.parts.select_related("service", "staff_member").order_by("position"))
    if len(parts) > 1:
        service_name = _in_order(booking.salon, [part.service.name for part in parts])
        staff_name = _in_order(booking.salon, [part.staff_member.name for part in parts])
    else:
        service_name, staff_name = booking.service.name, booking.staff_member.name
    return {
        "customer_name": booking.customer_name,
        "customer_phone": booking.customer_phone,
        "salon_name": booking.salon.name,
        "salon_phone": booking.salon.whatsapp_phone,
        "salon_address": booking.salon.address,
        "service_name": service_name,
        "staff_name": staff_name,
        "when": local_start_text(booking),
        "manage_url": manage_url(booking),
        "cutoff_hours": str(booking.salon.cancellation_cutoff_hours),
        "reference": booking.reference,
    }


def reminder_text(booking: Booking) -> str:
    """A reminder of ``booking``, as staff send it by hand from a chat link."""
    return render_text(language=booking.salon.language, kind=Kind.REMINDER_24H, context=booking_context(booking))
