"""Staff pages for blocking and unblocking a staff member's time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from salonbook.dates import DayField, day_within_reach
from salonbook.errors import DomainError
from salonbook.text import record_id
from salons.models import Salon, StaffMember
from salons.selectors import staff_member_for_user
from salons.views import salon_for, staff_required
from slots.models import Slot
from slots.selectors import day_bounds
from slots.services import slot_unblock, slots_block_range


class BlockTimeForm(forms.Form):
    staff_member = forms.ModelChoiceField(queryset=StaffMember.objects.none(), empty_label=None, label="Staff member")
    date = DayField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    whole_day = forms.BooleanField(required=False, label="The whole day (day off)")
    start_time = forms.TimeField(
        required=False, label="From", widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M")
    )
    end_time = forms.TimeField(
        required=False, label="Until", widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M")
    )
    reason = forms.CharField(
        max_length=120,
        required=False,
        label="Reason (optional)",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Lunch, Training, Day off"}),
    )

    def __init__(self, *args: Any, salon: Salon, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.salon = salon
        staff_field = self.fields["staff_member"]
        assert isinstance(staff_field, forms.ModelChoiceField)
        staff_field.queryset = StaffMember.objects.filter(salon=salon, is_active=True).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("whole_day") or not data.get("date"):
            return data
        start, end = data.get("start_time"), data.get("end_time")
        if start is None and "start_time" not in self.errors:
            self.add_error("start_time", "Enter when the blocked time starts, or tick the whole day.")
        if end is None and "end_time" not in self.errors:
            self.add_error("end_time", "Enter when the blocked time ends.")
        if start is not None and end is not None and end <= start:
            self.add_error("end_time", "The end must be after the start.")
        return data

    def period(self) -> tuple[dt.datetime, dt.datetime]:
        """The chosen time as UTC instants, read on the salon's wall clock."""
        day = self.cleaned_data["date"]
        if self.cleaned_data.get("whole_day"):
            return day_bounds(self.salon, day)
        tz = self.salon.tz
        start = dt.datetime.combine(day, self.cleaned_data["start_time"], tzinfo=tz)
        end = dt.datetime.combine(day, self.cleaned_data["end_time"], tzinfo=tz)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _agenda_url(salon: Salon, day: dt.date | None) -> str:
    url = reverse("staff:agenda", kwargs={"slug": salon.slug})
    return f"{url}?date={day.isoformat()}" if day else url


@staff_required
def block_time(request: HttpRequest, slug: str) -> HttpResponse:
    """Block a staff member's free time: lunch, an errand, a day off."""
    salon = salon_for(request, slug)
    if request.method == "POST":
        form = BlockTimeForm(request.POST, salon=salon)
        if form.is_valid():
            member = form.cleaned_data["staff_member"]
            start, end = form.period()
            try:
                blocked = slots_block_range(
                    staff_member=member, start=start, end=end, reason=form.cleaned_data["reason"]
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                day = form.cleaned_data["date"]
                if blocked:
                    messages.success(
                        request,
                        f"Blocked {len(blocked) * salon.slot_minutes} minutes of {member.name}'s time on "
                        f"{day:%a %d %b}. Booked times were left as they are.",
                    )
                else:
                    messages.warning(
                        request, f"{member.name} had no free time to block then (it may be booked or outside hours)."
                    )
                return redirect(_agenda_url(salon, day))
    else:
        initial: dict[str, Any] = {"date": timezone.localdate(timezone=salon.tz)}
        date = request.GET.get("date", "")
        try:
            day = dt.date.fromisoformat(date) if date else initial["date"]
        except ValueError:
            day = initial["date"]
        initial["date"] = day if day_within_reach(day) else initial["date"]
        staff = request.GET.get("staff", "")
        if (staff_id := record_id(staff)) is not None:
            initial["staff_member"] = staff_id
        elif (member := staff_member_for_user(request.user)) is not None and member.salon_id == salon.pk:
            initial["staff_member"] = member.pk
        form = BlockTimeForm(initial=initial, salon=salon)
    day = form.cleaned_data.get("date") if form.is_bound and hasattr(form, "cleaned_data") else form.initial.get("date")
    return render(
        request,
        "staff/block_time.html",
        {"nav": "block", "salon": salon, "form": form, "agenda_url": _agenda_url(salon, day)},
    )


@require_POST
@staff_required
def unblock(request: HttpRequest, slug: str) -> HttpResponse:
    """Make blocked slots bookable again (``slot`` may be given several times)."""
    salon = salon_for(request, slug)
    ids = [pk for value in request.POST.getlist("slot") if (pk := record_id(value)) is not None]
    slots = list(Slot.objects.filter(salon=salon, pk__in=ids).order_by("start"))
    freed = 0
    for slot in slots:
        try:
            slot_unblock(slot=slot)
            freed += 1
        except DomainError as error:
            messages.error(request, error.message)
    if freed:
        messages.success(request, f"Unblocked {freed * salon.slot_minutes} minutes; the time can be booked again.")
    elif not slots:
        messages.error(request, "Nothing to unblock.")
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return redirect(next_url)
    day = timezone.localtime(slots[0].start, salon.tz).date() if slots else None
    return redirect(_agenda_url(salon, day))
