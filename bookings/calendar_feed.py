"""Bookings as iCalendar files (RFC 5545, written by the icalendar library).

One VEVENT builder for both files we hand out: the customer's "add to
calendar" file of one booking, and a staff member's subscribed feed of theirs.

Times are written as UTC instants (``DTSTART:20300501T090000Z``): every
calendar program reads them the same way and no VTIMEZONE has to be shipped.
The calendar names the salon's zone (``X-WR-TIMEZONE``) so programs that show
a subscribed calendar in its own zone show the salon's wall-clock times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from icalendar import STATUS, Calendar, Event

from bookings.models import Booking, BookingPart
from salons.models import Salon, StaffMember

PRODID = "-//SalonBook//Bookings//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"
# How often subscribed programs are asked to fetch the feed again; Google
# decides for itself (every few hours), Apple and Outlook follow this.
REFRESH_INTERVAL = dt.timedelta(hours=1)
# A subscribed feed reaches back this far, so a stylist sees recent visits.
FEED_DAYS_BACK = 30

_STATUS = {
    Booking.Status.PENDING: STATUS.TENTATIVE,
    Booking.Status.CONFIRMED: STATUS.CONFIRMED,
    # The appointment's time was taken whatever happened at it.
    Booking.Status.COMPLETED: STATUS.CONFIRMED,
    Booking.Status.NO_SHOW: STATUS.CONFIRMED,
    Booking.Status.CANCELLED: STATUS.CANCELLED,
}


def booking_uid(booking: Booking) -> str:
    """The same for the booking wherever it appears, so a program that imported
    it once updates that event instead of adding a second one."""
    return f"{booking.reference}@salonbook"


def _public_url(path: str) -> str:
    return str(settings.PUBLIC_BASE_URL).rstrip("/") + path


def _location(salon: Salon) -> str:
    return ", ".join(part for part in (salon.name, " ".join(salon.address.split())) if part)


def booking_event(booking: Booking, *, summary: str, description: str, part: BookingPart | None = None) -> Event:
    """One booking (or one ``part`` of a visit) as a VEVENT: its times (UTC),
    status, the salon as the place.

    ``booking.salon`` is read, so callers load it with the booking.
    """
    # The first part keeps the booking's own uid, so a feed that showed a
    # booking before it had parts updates that event.
    uid = booking_uid(booking)
    if part is not None and part.position > 0:
        uid = f"{booking.reference}-{part.position}@salonbook"
    span = part or booking
    return Event.new(
        uid=uid,
        start=span.start.astimezone(dt.UTC),
        end=span.end.astimezone(dt.UTC),
        summary=summary,
        description=description,
        location=_location(booking.salon),
        status=_STATUS[booking.status],
        # The last change of the booking, not the download's time: the same
        # booking gives the same bytes, and programs see when it moved.
        stamp=booking.updated_at.astimezone(dt.UTC),
        last_modified=booking.updated_at.astimezone(dt.UTC),
    )


def _calendar(*, name: str, uid: str, salon: Salon, events: Iterable[Event]) -> bytes:
    calendar = Calendar.new(prodid=PRODID, name=name, uid=uid, refresh_interval=REFRESH_INTERVAL)
    calendar.add("x-wr-timezone", salon.timezone)
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()


# --- The customer's booking ------------------------------------------------------------------


def booking_ics(booking: Booking) -> bytes:
    """The customer's file of one booking (service, staff member, salon, phone).

    No manage link in it: calendar programs sync events to other services,
    and the link's secret must stay where the customer put it.
    """
    salon = booking.salon
    parts = list(booking.parts.select_related("service", "staff_member").order_by("position"))
    tz = salon.tz
    # A visit gives each part's time; a single service needs none (the event has it).
    times = [f"{part.start.astimezone(tz):%H:%M} " if len(parts) > 1 else "" for part in parts]
    lines = [f"{at}{part.service.name} with {part.staff_member.name}." for at, part in zip(times, parts, strict=True)]
    lines.append(f"Reference {booking.reference}.")
    if salon.whatsapp_phone:
        lines.append(f"{salon.name}: {salon.whatsapp_phone}")
    services = " + ".join(part.service.name for part in parts)
    event = booking_event(booking, summary=f"{services} at {salon.name}", description="\n".join(lines))
    return _calendar(name=salon.name, uid=f"booking-{booking.reference}@salonbook", salon=salon, events=[event])


# --- A staff member's feed -------------------------------------------------------------------


def staff_feed_window(salon: Salon, *, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The starts a staff member's feed covers: 30 days back to the end of the
    salon's booking window."""
    return now - dt.timedelta(days=FEED_DAYS_BACK), salon.booking_window_closes(now)


def _staff_event(part: BookingPart) -> Event:
    # The customer's name and the service, no phone: a subscribed feed
    # is copied into the stylist's calendar service, so it carries what the
    # day needs and the staff page (behind the login) has the rest.
    booking = part.booking
    page = _public_url(reverse("staff:booking", kwargs={"reference": booking.reference}))
    description = f"{booking.get_status_display()}. {page}"
    return booking_event(
        booking, summary=f"{booking.customer_name}: {part.service.name}", description=description, part=part
    )


def staff_feed_ics(*, staff_member: StaffMember, parts: Iterable[BookingPart]) -> bytes:
    """The member's feed: each of their ``parts`` of bookings
    (``bookings.selectors.parts_for_staff_feed``), with its own times."""
    salon = staff_member.salon
    return _calendar(
        name=f"{staff_member.name} at {salon.name}",
        uid=f"staff-{staff_member.pk}@salonbook",
        salon=salon,
        events=[_staff_event(part) for part in parts],
    )


def staff_feed_url(token: str) -> str:
    """The feed's address to paste into Google Calendar ("From URL")."""
    return _public_url(reverse("calendar-feed", kwargs={"secret": token}))


def staff_feed_subscribe_url(token: str) -> str:
    """The same address as ``webcal://``: phones and Apple Calendar open it as
    "subscribe", where an https link would only download the file once."""
    return "webcal://" + staff_feed_url(token).split("://", 1)[1]
