"""Who may read or act on one booking through the API.

Staff of the booking's salon and admins, by login (token or session), as
``salons.selectors.user_can_manage_salon`` decides; a customer by the
``X-Booking-Token`` header holding the booking's manage token, compared in
constant time. Anyone else, a wrong token and an unknown reference alike, gets
404, so references cannot be probed.
"""

from __future__ import annotations

from django.http import Http404

from bookings.models import Booking
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
