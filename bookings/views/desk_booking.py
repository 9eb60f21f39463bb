"""Booking at the desk: a phone call or a walk-in, from the free times the API offers."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone

from bookings.forms import DeskBookingForm
from bookings.models import Booking
from bookings.services import Actor, booking_create
from bookings.views.times import day_title, free_times, just_taken
from salonbook.errors import DomainError, SlotUnavailable
from salons.models import Salon
from salons.views import salon_for, staff_required


@staff_required
def desk_booking(request: HttpRequest, slug: str) -> HttpResponse:
    """Take a booking at the desk from the same free starts the API offers.

    Changing the service, staff member or day sends the form without
    "Book", to list that choice's free times.
    """
    salon = salon_for(request, slug)
    if request.method == "POST":
        form = DeskBookingForm(request.POST, salon=salon, booking=request.POST.get("action") == "book")
        if form.is_valid() and form.booking:
            booking = _book(request, form, salon)
            if booking is not None:
                messages.success(
                    request,
                    f"Booked {booking.customer_name}: {booking.service.name} with {booking.staff_member.name}, "
                    f"{dateformat.format(timezone.localtime(booking.start, salon.tz), 'l j F, H:i')}.",
                )
                return redirect("staff:booking", reference=booking.reference)
    else:
        form = DeskBookingForm.prefilled(request.GET, salon=salon)

    shown = form.shown_choice()
    context = {
        "nav": "book",
        "salon": salon,
        "form": form,
        "service": shown.service,
        "day": shown.day,
        "day_title": day_title(shown.day) if shown.day else "",
        "day_passed": shown.day is not None and shown.day < timezone.localdate(timezone=salon.tz),
        "times": free_times(salon=salon, shown=shown, offered_staff=form.offered_staff),
    }
    return render(request, "staff/desk_booking.html", context)


def _book(request: HttpRequest, form: DeskBookingForm, salon: Salon) -> Booking | None:
    """The booking made from a valid form; None, with the reason on the form, if refused."""
    member = form.staff_member_for_start()
    if member is None:
        return None
    _, start = form.cleaned_data["start"]
    try:
        return booking_create(
            salon=salon,
            service=form.cleaned_data["service"],
            staff_member=member,
            start=start,
            customer_name=form.cleaned_data["customer_name"],
            customer_phone=form.cleaned_data["customer_phone"],
            customer_email=form.cleaned_data.get("customer_email") or "",
            actor=Actor.staff(request.user),
        )
    except SlotUnavailable:
        form.add_error("start", just_taken(start, salon, member))
    except DomainError as error:
        form.add_service_errors(error.details, error.message)
    return None
