"""One staff member's week (hours with breaks) and days off, and the
salon's closures. After a change the page lists the bookings it left outside
the new hours, each with a link to move it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from backoffice.forms import ClosureForm, DayOffForm, make_read_only, show_refusal, week_forms
from backoffice.views.access import BackOffice, backoffice
from bookings.form_keys import Created, created_redirect, form_create_once
from bookings.selectors import bookings_outside_hours
from salonbook.errors import InvalidInput
from salons.models import DayOff, SalonClosure, StaffMember
from salons.schedules import closure_add, closure_remove, day_off_add, day_off_remove, working_week_set


def _member(office: BackOffice, pk: int) -> StaffMember:
    return get_object_or_404(
        StaffMember.objects.select_related("salon").prefetch_related("working_hours", "days_off"),
        pk=pk,
        salon=office.salon,
    )


@backoffice
def staff_hours(request: HttpRequest, office: BackOffice, pk: int) -> HttpResponse:
    member = _member(office, pk)
    week = week_forms(member)
    day_off = DayOffForm()
    if request.method == "POST" and request.POST.get("part") == "day_off":
        day_off = DayOffForm(request.POST)
        if day_off.is_valid():
            data = day_off.cleaned_data

            def add() -> Created:
                day_off_add(staff_member=member, **data)
                return Created(
                    reverse("staff:backoffice_hours", kwargs={"slug": office.salon.slug, "pk": member.pk}),
                    f"{member.name} is off on {data['date']:%A %-d %B %Y}.",
                )

            try:
                return created_redirect(
                    request, form_create_once(form="day-off", salon=office.salon, data=request.POST, create=add)
                )
            except InvalidInput as refused:
                show_refusal(day_off, refused)
    elif request.method == "POST":
        week = week_forms(member, request.POST)
        if all(form.is_valid() for form in week):
            try:
                working_week_set(staff_member=member, week={form.weekday: form.day_hours() for form in week})
            except InvalidInput as refused:
                for form in week:
                    show_refusal(form, refused, prefix=f"{form.weekday}.")
            else:
                messages.success(request, f"{member.name}'s hours are saved; their free times follow.")
                return redirect("staff:backoffice_hours", slug=office.salon.slug, pk=member.pk)
    if not office.can_change:
        make_read_only(day_off, *week)
    failed = any(form.errors for form in week) or bool(day_off.errors)
    context = office.context(
        "staff",
        member=member,
        week=week,
        day_off=day_off,
        days_off=[d for d in member.days_off.all() if d.date >= timezone.localdate(timezone=office.salon.tz)],
        outside=bookings_outside_hours(salon=office.salon, now=timezone.now(), staff_member_id=member.pk),
    )
    return render(request, "staff/backoffice/hours.html", context, status=400 if failed else 200)


@require_POST
@backoffice
def day_off_delete(request: HttpRequest, office: BackOffice, pk: int) -> HttpResponse:
    day_off = get_object_or_404(DayOff.objects.select_related("staff_member"), pk=pk, staff_member__salon=office.salon)
    day_off_remove(day_off=day_off)
    messages.success(request, f"{day_off.staff_member.name} works on {day_off.date:%A %-d %B %Y} again.")
    return redirect("staff:backoffice_hours", slug=office.salon.slug, pk=day_off.staff_member_id)


@backoffice
def closures(request: HttpRequest, office: BackOffice) -> HttpResponse:
    form = ClosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def add() -> Created:
            closure_add(salon=office.salon, **form.cleaned_data)
            return Created(
                reverse("staff:backoffice_closures", kwargs={"slug": office.salon.slug}),
                "The salon is closed on those dates; nobody is offered then.",
            )

        try:
            return created_redirect(
                request, form_create_once(form="closure", salon=office.salon, data=request.POST, create=add)
            )
        except InvalidInput as refused:
            show_refusal(form, refused)
    if not office.can_change:
        make_read_only(form)
    today = timezone.localdate(timezone=office.salon.tz)
    context = office.context(
        "closures",
        form=form,
        closures=list(office.salon.closures.filter(date_to__gte=today).order_by("date_from")),
        outside=bookings_outside_hours(salon=office.salon, now=timezone.now()),
    )
    return render(request, "staff/backoffice/closures.html", context, status=400 if form.errors else 200)


@require_POST
@backoffice
def closure_delete(request: HttpRequest, office: BackOffice, pk: int) -> HttpResponse:
    closure = get_object_or_404(SalonClosure, pk=pk, salon=office.salon)
    closure_remove(closure=closure)
    messages.success(request, "The salon is open on those dates again.")
    return redirect("staff:backoffice_closures", slug=office.salon.slug)
