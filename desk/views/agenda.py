"""The staff agenda: one salon-local day, staff as columns, time as rows."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from bookings.calendar_feed import staff_feed_subscribe_url
from bookings.models import Booking
from bookings.selectors import agenda_for_day, own_staff_member_at
from desk.agenda_layout import lay_out_day
from desk.forms import AgendaQueryForm
from desk.views.times import day_title
from resources.selectors import resources_in_use
from salons.models import Salon
from salons.services import calendar_token_for
from salons.views import salon_for, staff_required
from slots.selectors import day_bounds
from waitlist.staff import agenda_waitlist


def _resources_of_day(salon: Salon, day: dt.date, bookings: list[Booking]) -> list[dict]:
    """The day's use of each resource, each span with the booking holding it."""
    by_id = {booking.pk: booking for booking in bookings}
    begin, end = day_bounds(salon, day)
    return [
        {"resource": resource, "spans": [(span, by_id.get(span.booking_id)) for span in spans]}
        for resource, spans in resources_in_use(salon=salon, begin=begin, end=end)
    ]


@staff_required
def agenda(request: HttpRequest, slug: str) -> HttpResponse:
    salon = salon_for(request, slug)
    today = timezone.localdate(timezone=salon.tz)
    day, staff_filter = AgendaQueryForm(request.GET).day_and_staff(today=today)
    agenda_day = agenda_for_day(salon=salon, day=day, staff_member_id=staff_filter)
    grid = lay_out_day(
        day=day,
        tz=salon.tz,
        slot_minutes=salon.slot_minutes,
        staff=agenda_day.staff,
        slots=agenda_day.slots,
        bookings=agenda_day.bookings,
        now=timezone.now(),
        book_url=reverse("staff:desk_booking", kwargs={"slug": salon.slug}),
    )
    own = own_staff_member_at(user=request.user, salon=salon)
    context = {
        "nav": "agenda",
        "salon": salon,
        "day": day,
        "day_title": day_title(day),
        "is_today": day == today,
        "today": today,
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "grid": grid,
        "all_staff": agenda_day.staff_choices,
        "staff_filter": staff_filter,
        "own_staff_member": own,
        # Made the first time the member opens the agenda; one write, once.
        "calendar_subscribe_url": staff_feed_subscribe_url(calendar_token_for(staff_member=own)) if own else None,
        "pending": agenda_day.pending_bookings,
        "cancelled": agenda_day.cancelled_bookings,
        "active_count": len(agenda_day.active_bookings),
        "free_count": grid.free_count,
        "agenda_url": request.get_full_path(),
        "waitlist": agenda_waitlist(salon=salon, day=day, now=timezone.now()),
        "resources": _resources_of_day(salon, day, agenda_day.bookings),
    }
    return render(request, "staff/agenda.html", context)
