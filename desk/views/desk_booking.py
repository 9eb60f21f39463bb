"""Booking at the desk: a phone call or a walk-in, from the free times the API offers."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone

from bookings.booking_plans import Booked, Repeat, booking_book
from bookings.services import Actor, Customer
from desk.forms import DeskBookingForm
from desk.views.times import day_title, free_times, just_taken, wall_time
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
            booked = _book(request, form, salon)
            if booked is not None:
                booking = booked.booking
                times = (
                    f" and {len(booked.bookings) - 1} more, every {booked.series.every_weeks} weeks"
                    if booked.series
                    else ""
                )
                messages.success(
                    request,
                    f"Booked {booking.customer_name}: {booking.service.name} with {booking.staff_member.name}, "
                    f"{dateformat.format(timezone.localtime(booking.start, salon.tz), 'l j F, H:i')}{times}.",
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
        "times": free_times(salon=salon, shown=shown, offered_staff=form.offered_staff, anyone=True),
    }
    return render(request, "staff/desk_booking.html", context)


def _book(request: HttpRequest, form: DeskBookingForm, salon: Salon) -> Booked | None:
    """What a valid form booked; None, with the reason on the form, if refused."""
    member = None if form.wants_anyone() else form.staff_member_for_start()
    if member is None and not form.wants_anyone():
        return None
    _, start = form.cleaned_data["start"]
    repeat = form.repeat()
    try:
        return booking_book(
            salon=salon,
            service=form.cleaned_data["service"],
            staff_member=member,
            start=start,
            customer=Customer(
                form.cleaned_data["customer_name"],
                form.cleaned_data["customer_phone"],
                form.cleaned_data.get("customer_email") or "",
            ),
            repeat=Repeat(*repeat) if repeat else None,
            actor=Actor.staff(request.user),
        )
    except SlotUnavailable as error:
        if error.details.get("conflicts"):
            form.add_error("repeat_count", f"{error.message} Taken: {_wall_list(error.details['conflicts'])}.")
        elif member is None:
            form.add_error(
                "start", f"{wall_time(start, salon)} has just been taken by another booking. Choose another free time."
            )
        else:
            form.add_error("start", just_taken(start, salon, member))
    except DomainError as error:
        form.add_service_errors(error.details, error.message)
    return None


def _wall_list(starts: list[str]) -> str:
    return ", ".join(dateformat.format(dt.datetime.fromisoformat(s), "D j M H:i") for s in starts)
