"""Booking at the desk: a phone call or a walk-in, from the free times the API offers."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import dateformat, timezone

from bookings.booking_plans import Booked, Repeat, booking_book
from bookings.form_keys import Created, created_redirect, form_create_once
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
    "Book", to list that choice's free times. "Book" sent twice (a double
    click, a resent page) books once: the form's one-time key.
    """
    salon = salon_for(request, slug)
    if request.method == "POST":
        form = DeskBookingForm(request.POST, salon=salon, booking=request.POST.get("action") == "book")
        if form.is_valid() and form.booking:
            created = _book(request, form, salon)
            if created is not None:
                return created_redirect(request, created)
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


def _book(request: HttpRequest, form: DeskBookingForm, salon: Salon) -> Created | None:
    """Where a valid form's booking leads; None, with the reason on the form, if refused."""
    member = None if form.wants_anyone() else form.staff_member_for_start()
    if member is None and not form.wants_anyone():
        return None
    _, start = form.cleaned_data["start"]
    repeat = form.repeat()

    def book() -> Created:
        booked = booking_book(
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
        return Created(reverse("staff:booking", kwargs={"reference": booked.booking.reference}), _said(booked, salon))

    try:
        return form_create_once(form="desk-booking", salon=salon, data=request.POST, create=book)
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


def _said(booked: Booked, salon: Salon) -> str:
    booking = booked.booking
    times = f" and {len(booked.bookings) - 1} more, every {booked.series.every_weeks} weeks" if booked.series else ""
    return (
        f"Booked {booking.customer_name}: {booking.service.name} with {booking.staff_member.name}, "
        f"{dateformat.format(timezone.localtime(booking.start, salon.tz), 'l j F, H:i')}{times}."
    )


def _wall_list(starts: list[str]) -> str:
    return ", ".join(dateformat.format(dt.datetime.fromisoformat(s), "D j M H:i") for s in starts)
