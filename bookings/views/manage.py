"""The customer's own page for a booking, and its "add to calendar" file."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from bookings.calendar_feed import CONTENT_TYPE, booking_ics
from bookings.selectors import booking_for_customer


@require_GET
def manage_booking(request: HttpRequest, reference: str) -> HttpResponse:
    """The customer's page behind the link in confirmations and reminders.

    The server never sees the manage token: it is in the link's fragment and
    the page sends it to the API itself, so this view only serves the shell.
    """
    return render(request, "manage/booking.html", {"reference": reference})


# The token comes in the body of a form the page posts, not in the address:
# a phone follows a form's answer like a link (Safari offers "Add to
# Calendar" for text/calendar, Android hands the file to the calendar app),
# which a script's download of a header-authorised fetch does not do
# everywhere; and a body, unlike a query string, is kept by no access log,
# proxy, browser history or Referer. No CSRF token: no cookie authorises
# this request, the manage token in it does, and a page that does not know
# the token cannot use it.
@csrf_exempt
@require_POST
def booking_calendar_file(request: HttpRequest, reference: str) -> HttpResponse:
    """The booking as an .ics file for the customer's calendar; 404 unless the
    form carries the booking's manage token."""
    booking = booking_for_customer(reference=reference, token=request.POST.get("token"))
    if booking is None:
        raise Http404("No such booking.")
    response = HttpResponse(booking_ics(booking), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="booking-{booking.reference}.ics"'
    response["Cache-Control"] = "no-store"
    return response
