"""Who may read or act on one booking through the API.

Staff of the booking's salon and admins, by login (token or session), as
``salons.selectors.user_can_manage_salon`` decides; a customer by the
``X-Booking-Token`` header holding the booking's manage token, compared in
constant time. Anyone else, a wrong token and an unknown reference alike, gets
404, so references cannot be probed.
"""

from __future__ import annotations

from django.http import Http404

from bookings.models import Booking, BookingSeries
from bookings.services import Actor
from salons.selectors import user_can_manage_salon

BOOKING_TOKEN_HEADER = "X-Booking-Token"


def booking_and_actor(request, reference: str) -> tuple[Booking, Actor]:
    """The booking and who acts on it: its salon's staff, or the customer holding its token."""
    booking = Booking.objects.select_related("salon", "service", "staff_member").filter(reference=reference).first()
    if booking is None:
        raise Http404
    if user_can_manage_salon(request.user, booking.salon_id):
        return booking, Actor.staff(request.user)
    if booking.token_matches(request.headers.get(BOOKING_TOKEN_HEADER)):
        return booking, Actor.customer()
    raise Http404


def booking_for_staff(request, reference: str) -> Booking:
    """The booking if the user manages its salon; 404 otherwise, a customer's token included."""
    booking, actor = booking_and_actor(request, reference)
    if actor.is_customer:
        raise Http404
    return booking


def series_and_actor(request, pk: int) -> tuple[BookingSeries, Actor]:
    """A standing appointment and who acts on it: its salon's staff, or the
    customer holding the manage token of any one of its bookings (each was
    given to them when the series was booked). 404 for anyone else."""
    series = BookingSeries.objects.filter(pk=pk).first()
    if series is None:
        raise Http404
    if user_can_manage_salon(request.user, series.salon_id):
        return series, Actor.staff(request.user)
    token = request.headers.get(BOOKING_TOKEN_HEADER)
    if token and any(b.token_matches(token) for b in series.bookings.only("manage_token")):
        return series, Actor.customer()
    raise Http404
