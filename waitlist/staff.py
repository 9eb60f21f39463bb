"""Staff pages for the waitlist: add a customer at the desk, offer a free
start to an entry by hand, withdraw an offer. The agenda shows the day's
entries and offers (``agenda_waitlist``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from bookings.form_keys import Created, created_redirect, form_create_once
from bookings.services import Actor
from salonbook.dates import DayField, parse_aware_time
from salonbook.errors import DomainError
from salonbook.forms import place_service_errors
from salonbook.text import record_id, validate_person_name
from salons.models import Salon, Service, StaffMember
from salons.views import salon_for, staff_required
from slots.availability import availability_for_day
from waitlist.models import WaitlistEntry
from waitlist.selectors import waitlist_for_day
from waitlist.services import waitlist_join, waitlist_offer_by_hand, waitlist_withdraw

FREE_STARTS_SHOWN = 16


@dataclass(frozen=True)
class WaitingRow:
    entry: WaitlistEntry
    starts: list[tuple[str, str]]  # (form value "staff_id|iso", label)


def agenda_waitlist(*, salon: Salon, day: dt.date, now: dt.datetime) -> dict[str, Any]:
    """What the agenda shows of the waitlist on ``day``: waiting entries with
    the free starts staff can offer them, and the live offers."""
    found = waitlist_for_day(salon=salon, day=day)
    if not found.waiting:
        return {"waiting": [], "offers": found.offers}
    names = {m.pk: m.name for m in StaffMember.objects.filter(salon=salon)}
    # One availability read per (service, staff) asked for, not per entry.
    free_by_choice: dict[tuple[int, int | None], list] = {}
    rows = []
    for entry in found.waiting:
        choice = (entry.service_id, entry.staff_member_id)
        if choice not in free_by_choice:
            free_by_choice[choice] = availability_for_day(
                salon=salon, day=day, service=entry.service, staff_member_id=entry.staff_member_id, now=now
            )
        free = free_by_choice[choice]
        starts = [
            (
                f"{f.staff_member_id}|{f.start.isoformat()}",
                f"{timezone.localtime(f.start, salon.tz):%H:%M} {names.get(f.staff_member_id, '')}",
            )
            for f in free
            if entry.fits(timezone.localtime(f.start, salon.tz))
        ]
        rows.append(WaitingRow(entry=entry, starts=starts[:FREE_STARTS_SHOWN]))
    return {"waiting": rows, "offers": found.offers}


def _entry(salon: Salon, reference: str) -> WaitlistEntry:
    entry = WaitlistEntry.objects.select_related("salon", "service").filter(salon=salon, reference=reference).first()
    if entry is None:
        raise Http404
    return entry


def _back(request: HttpRequest, salon: Salon) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("staff:agenda", slug=salon.slug)


@staff_required
@require_POST
def offer_by_hand(request: HttpRequest, slug: str, reference: str) -> HttpResponse:
    salon = salon_for(request, slug)
    entry = _entry(salon, reference)
    staff_id, _, iso = request.POST.get("start", "").partition("|")
    member = StaffMember.objects.filter(salon=salon, pk=record_id(staff_id) or 0).first()
    start = parse_aware_time(iso)
    if member is None or start is None:
        messages.error(request, "Choose one of the free times.")
        return _back(request, salon)
    try:
        offer = waitlist_offer_by_hand(entry=entry, staff_member=member, start=start)
    except DomainError as error:
        messages.error(request, error.message)
        return _back(request, salon)
    messages.success(
        request,
        f"Offered {dateformat.format(timezone.localtime(offer.start, salon.tz), 'l j F, H:i')} to "
        f"{entry.customer_name}; held until {timezone.localtime(offer.expires_at, salon.tz):%H:%M}.",
    )
    return _back(request, salon)


@staff_required
@require_POST
def withdraw(request: HttpRequest, slug: str, reference: str) -> HttpResponse:
    salon = salon_for(request, slug)
    entry = _entry(salon, reference)
    waitlist_withdraw(entry=entry, actor=Actor.staff(request.user))
    messages.success(request, f"Withdrew the offer to {entry.customer_name}; the time is free again.")
    return _back(request, salon)


class DeskEntryForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.none())
    staff = forms.ModelChoiceField(queryset=StaffMember.objects.none(), required=False, empty_label="Anyone")
    date_from = DayField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = DayField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    earliest = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    latest = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    customer_name = forms.CharField(label="Name", max_length=120, validators=[validate_person_name])
    customer_phone = forms.CharField(label="Phone", max_length=32)

    def __init__(self, *args: Any, salon: Salon, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(salon=salon, is_active=True)  # type: ignore[attr-defined]
        self.fields["staff"].queryset = StaffMember.objects.filter(salon=salon, is_active=True)  # type: ignore[attr-defined]


@staff_required
def add_entry(request: HttpRequest, slug: str) -> HttpResponse:
    """Put a customer at the desk on the waitlist (once per form sent: its one-time key)."""
    salon = salon_for(request, slug)
    today = timezone.localdate(timezone=salon.tz)
    form = DeskEntryForm(request.POST or None, salon=salon, initial={"date_from": today, "date_to": today})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def join() -> Created:
            entry = waitlist_join(
                salon=salon,
                service=data["service"],
                staff_member=data["staff"],
                date_from=data["date_from"],
                date_to=data["date_to"],
                earliest=data["earliest"],
                latest=data["latest"],
                customer_name=data["customer_name"],
                customer_phone=data["customer_phone"],
                actor=Actor.staff(request.user),
            )
            return Created(
                f"{_agenda_path(salon)}?date={entry.date_from.isoformat()}",
                f"{entry.customer_name} is on the waitlist.",
            )

        try:
            return created_redirect(
                request, form_create_once(form="waitlist-entry", salon=salon, data=request.POST, create=join)
            )
        except DomainError as error:
            if not place_service_errors(form, error.details):
                form.add_error(None, error.message)
    return render(request, "staff/waitlist_add.html", {"nav": "agenda", "salon": salon, "form": form})


def _agenda_path(salon: Salon) -> str:
    return reverse("staff:agenda", kwargs={"slug": salon.slug})


