"""Reads of bookings: a customer's lookup, a salon's agenda."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from bookings.models import Booking
from salons.models import Salon
from slots.selectors import day_bounds


def booking_for_customer(*, reference: str, token: str | None) -> Booking | None:
    """The booking with ``reference`` if ``token`` is its manage token, else None.

    A wrong token and an unknown reference look the same to the caller, so
    references cannot be probed.
    """
    booking = Booking.objects.select_related("salon", "service", "staff_member").filter(reference=reference).first()
    if booking is None or not booking.token_matches(token):
        return None
    return booking


def bookings_for_day(*, salon: Salon, day: dt.date, staff_member_id: int | None = None) -> QuerySet[Booking]:
    """The salon-local ``day``'s bookings, every status, for the staff agenda."""
    begin, end = day_bounds(salon, day)
    bookings = Booking.objects.filter(salon=salon, start__gte=begin, start__lt=end).select_related(
        "service", "staff_member"
    )
    if staff_member_id is not None:
        bookings = bookings.filter(staff_member_id=staff_member_id)
    return bookings.order_by("start", "staff_member_id")
