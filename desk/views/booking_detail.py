"""One booking on the staff pages: its details, its state changes, and moving it to another time."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from bookings.booking_plans import booking_series_cancel
from bookings.messages.links import click_to_chat_url
from bookings.models import Booking
from bookings.selectors import booking_for_staff, booking_messages, booking_replies, staff_can_reschedule
from bookings.services import (
    Actor,
    allowed_moves,
    booking_cancel,
    booking_complete,
    booking_confirm,
    booking_mark_no_show,
    booking_reschedule,
)
from desk.forms import CancelForm, RescheduleForm
from desk.views.times import day_title, free_times, just_taken
from salonbook.errors import DomainError, SlotUnavailable
from salonbook.forms import place_service_errors
from salons.views import staff_required

MOVES: dict[str, tuple[Callable[..., Booking], str, str]] = {
    # move: (service, button label, message when done)
    "confirm": (booking_confirm, "Confirm booking", "Booking confirmed."),
    "complete": (booking_complete, "Mark completed", "Marked as completed."),
    "no_show": (booking_mark_no_show, "Mark no-show", "Marked as a no-show."),
    "cancel": (booking_cancel, "Cancel booking", "Booking cancelled; its time is free again."),
}
# Cancelling has its own box with a reason; these are buttons.
BUTTON_MOVES = ("confirm", "complete", "no_show")


def _booking_for(request: HttpRequest, reference: str) -> Booking:
    """The booking if the user may manage its salon; 404 otherwise, so other
    salons' references cannot be probed."""
    booking = booking_for_staff(user=request.user, reference=reference)
    if booking is None:
        raise Http404("No such booking.")
    return booking


@staff_required
def booking_detail(request: HttpRequest, reference: str) -> HttpResponse:
    booking = _booking_for(request, reference)
    salon = booking.salon
    moves = allowed_moves(booking)
    local_day = timezone.localtime(booking.start, salon.tz).date()
    labels = dict(Booking.Status.choices)
    context = {
        "salon": salon,
        "booking": booking,
        "local_start": timezone.localtime(booking.start, salon.tz),
        "local_end": timezone.localtime(booking.end, salon.tz),
        "history": [
            {
                "change": change,
                "from": labels.get(change.from_status, ""),
                "to": labels.get(change.to_status, change.to_status),
            }
            for change in booking.history.select_related("actor_user")
        ],
        "messages_sent": booking_messages(booking=booking),
        "replies": booking_replies(booking=booking),
        "buttons": [(move, MOVES[move][1]) for move in BUTTON_MOVES if move in moves],
        "can_cancel": "cancel" in moves,
        "can_reschedule": staff_can_reschedule(booking=booking, now=timezone.now()),
        "cancel_form": CancelForm(),
        "whatsapp_url": click_to_chat_url(booking),
        "series_ahead": _series_ahead(booking),
        "series_cancel_form": CancelForm(prefix="series"),
        "agenda_url": reverse("staff:agenda", kwargs={"slug": salon.slug}) + f"?date={local_day.isoformat()}",
    }
    return render(request, "staff/booking_detail.html", context)


def _series_ahead(booking: Booking) -> int:
    """How many bookings of this booking's standing appointment are still ahead (0 for none)."""
    if booking.series_id is None:
        return 0
    return Booking.objects.filter(
        series_id=booking.series_id, status__in=Booking.ACTIVE_STATUSES, start__gt=timezone.now()
    ).count()


@require_POST
@staff_required
def booking_series_cancel_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Cancel every booking still ahead in this booking's standing appointment."""
    booking = _booking_for(request, reference)
    if booking.series is None:
        raise Http404("This booking is not part of a standing appointment.")
    form = CancelForm(request.POST, prefix="series")
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    outcome = booking_series_cancel(series=booking.series, actor=Actor.staff(request.user), reason=reason)
    count = len(outcome.cancelled)
    messages.success(
        request, f"{booking.customer_name}: {count} booking{'s' if count != 1 else ''} of the series cancelled."
    )
    return redirect("staff:booking", reference=booking.reference)


@require_POST
@staff_required
def booking_move(request: HttpRequest, reference: str, move: str) -> HttpResponse:
    """Run one state-machine move; a refused move comes back as a message."""
    if move not in MOVES:
        raise Http404("No such change.")
    booking = _booking_for(request, reference)
    service, _, done = MOVES[move]
    actor = Actor.staff(request.user)
    try:
        if move == "cancel":
            form = CancelForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            service(booking=booking, actor=actor, reason=reason)
        else:
            service(booking=booking, actor=actor)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{booking.customer_name}: {done[0].lower()}{done[1:]}")
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return redirect(next_url)
    return redirect("staff:booking", reference=booking.reference)


@staff_required
def booking_reschedule_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Move a booking to another free time, from the same availability the API uses.

    Changing the staff member or day sends the form without "Move", to list
    that choice's free times.
    """
    booking = _booking_for(request, reference)
    salon = booking.salon
    if request.method == "POST":
        moving = request.POST.get("action") == "move"
        form = RescheduleForm(request.POST, salon=salon, service=booking.service, moving=moving)
        if form.is_valid() and moving:
            moved = _move(request, form, booking)
            if moved is not None:
                return moved
    else:
        local_day = timezone.localtime(booking.start, salon.tz).date()
        form = RescheduleForm(initial={"date": local_day}, salon=salon, service=booking.service)

    shown = form.shown_choice()
    context = {
        "nav": "agenda",
        "salon": salon,
        "booking": booking,
        "local_start": timezone.localtime(booking.start, salon.tz),
        "form": form,
        "day": shown.day,
        "day_title": day_title(shown.day) if shown.day else "",
        "times": free_times(salon=salon, shown=shown, offered_staff=form.offered_staff),
    }
    return render(request, "staff/reschedule.html", context)


def _move(request: HttpRequest, form: RescheduleForm, booking: Booking) -> HttpResponse | None:
    """Ask the service to move the booking to the valid form's time.

    The way back to the booking once it moved, or when the refusal is about
    the booking rather than the choice; None, with the reason on the form,
    when the page should offer times again.
    """
    member = form.staff_member_for_start()
    if member is None:
        return None
    _, start = form.cleaned_data["start"]
    salon = booking.salon
    try:
        booking_reschedule(booking=booking, start=start, staff_member=member, actor=Actor.staff(request.user))
    except SlotUnavailable:
        form.add_error("start", just_taken(start, salon, member))
        return None
    except DomainError as error:
        if place_service_errors(form, error.details):
            return None
        messages.error(request, error.message)
        return redirect("staff:booking", reference=booking.reference)
    messages.success(
        request,
        f"Moved {booking.customer_name} to "
        f"{dateformat.format(timezone.localtime(start, salon.tz), 'l j F, H:i')} with {member.name}.",
    )
    return redirect("staff:booking", reference=booking.reference)
