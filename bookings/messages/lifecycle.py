"""The messages each change to a booking owes, written in its transaction.

The booking services (``bookings.services``) call one of these inside their
``transaction.atomic`` block, with the booking locked: the messages exist
exactly when the change is committed. Each first withdraws what the change
made untrue, then writes what it makes true.

| change | the customer gets | the salon's WhatsApp number gets |
| --- | --- | --- |
| created | booking received (pending) or confirmed; reminders | new online booking (customer's own) |
| confirmed by staff | booking confirmed (the "received" is withdrawn) | |
| moved | booking moved (old and new time); reminders for the new time | |
| cancelled by the customer | a receipt | cancelled online booking |
| cancelled by the salon | booking cancelled | |

No reminder goes out in the same half hour as a confirmation or a move notice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bookings.messages.about import booking_subject
from bookings.messages.scheduling import reminder_rows, reminders_quiet, reminders_schedule
from bookings.messages.texts import local_time_text
from bookings.models import Booking
from messaging.kinds import Kind
from messaging.models import Message
from messaging.outbox import message_row, messages_supersede, messages_write

K = Kind
# What states the time, besides the reminders (withdrawn with ``reminders=True``).
ABOUT_THE_TIME = [kind for kind in Kind if kind.about_the_time and not kind.is_reminder]


def _customer_row(
    booking: Booking, kind: str, *, now: dt.datetime, parameters: dict[str, Any] | None = None
) -> Message | None:
    return message_row(
        salon_id=booking.salon_id, subject=booking_subject(booking.pk), kind=kind, to=booking.customer_phone,
        due_at=now, now=now,
        parameters=parameters, expires_at=booking.start,
    )


def _salon_row(
    booking: Booking, kind: str, *, now: dt.datetime, parameters: dict[str, Any] | None = None
) -> Message | None:
    return message_row(
        salon_id=booking.salon_id, subject=booking_subject(booking.pk), kind=kind, to=booking.salon.whatsapp_phone,
        due_at=now, now=now,
        parameters=parameters, expires_at=booking.start,
    )


def _to_customer(booking: Booking, kind: str, *, now: dt.datetime, parameters: dict[str, Any] | None = None) -> None:
    messages_write([_customer_row(booking, kind, now=now, parameters=parameters)], now=now)


def _to_salon(booking: Booking, kind: str, *, now: dt.datetime) -> None:
    messages_write([_salon_row(booking, kind, now=now)], now=now)


def _announcements(
    booking: Booking, *, by_customer: bool, now: dt.datetime, parameters: dict[str, Any] | None = None
) -> list[Message | None]:
    kind = K.BOOKING_CONFIRMED if booking.status == Booking.Status.CONFIRMED else K.BOOKING_RECEIVED
    salon_alert = _salon_row(booking, K.SALON_NEW_BOOKING, now=now, parameters=parameters) if by_customer else None
    return [_customer_row(booking, kind, now=now, parameters=parameters), salon_alert]


def booking_messages_created(*, booking: Booking, by_customer: bool, now: dt.datetime, announce: bool = True) -> None:
    """All in one insert: a booking just created has no messages to withdraw
    and no reminders yet. ``announce=False`` (an occurrence of a standing
    appointment) writes only its reminders: ``series_messages_created``
    announces the series once."""
    announcements = _announcements(booking, by_customer=by_customer, now=now) if announce else []
    messages_write([*announcements, *reminder_rows(booking=booking, now=now, quiet_at=now, existing=())], now=now)


def series_messages_created(
    *, bookings: list[Booking], every_weeks: int, by_customer: bool, now: dt.datetime
) -> None:
    """One confirmation (and one salon alert) for a whole standing
    appointment, about its first booking, saying how it repeats: not one per
    occurrence. Each occurrence has its own reminders already."""
    first, last = bookings[0], bookings[-1]
    repeats = {
        "series_every_weeks": str(every_weeks),
        "series_count": str(len(bookings)),
        "series_last": local_time_text(first.salon, last.start),
    }
    messages_write(_announcements(first, by_customer=by_customer, now=now, parameters=repeats), now=now)


def booking_messages_confirmed(*, booking: Booking, now: dt.datetime) -> None:
    messages_supersede(subject=booking_subject(booking.pk), kinds=[K.BOOKING_RECEIVED], reason="confirmed before it went out", now=now)
    _to_customer(booking, K.BOOKING_CONFIRMED, now=now)
    reminders_quiet(booking=booking, around=now, now=now)
    reminders_schedule(booking=booking, now=now, quiet_at=now)


def booking_messages_moved(*, booking: Booking, previous_start: dt.datetime, now: dt.datetime) -> None:
    messages_supersede(subject=booking_subject(booking.pk), kinds=ABOUT_THE_TIME, reminders=True, reason="booking moved", now=now)
    _to_customer(
        booking, K.BOOKING_MOVED, now=now, parameters={"previous_when": local_time_text(booking.salon, previous_start)}
    )
    reminders_schedule(booking=booking, now=now, quiet_at=now)


def booking_messages_cancelled(*, booking: Booking, by_customer: bool, now: dt.datetime) -> None:
    messages_supersede(subject=booking_subject(booking.pk), kinds=ABOUT_THE_TIME, reminders=True, reason="booking cancelled", now=now)
    # A salon that was never told of the booking need not hear it is gone.
    untold = messages_supersede(
        subject=booking_subject(booking.pk), kinds=[K.SALON_NEW_BOOKING], reason="booking cancelled before the alert went out", now=now
    )
    if not by_customer:
        _to_customer(booking, K.BOOKING_CANCELLED, now=now)
        return
    _to_customer(booking, K.CANCEL_RECEIPT, now=now)
    if not untold:
        _to_salon(booking, K.SALON_CANCELLED_BOOKING, now=now)


def booking_messages_cancel_refused(*, booking: Booking, now: dt.datetime) -> None:
    """The customer asked by message to cancel and was refused (past the cut-off)."""
    _to_customer(booking, K.CANCEL_REFUSED, now=now)
