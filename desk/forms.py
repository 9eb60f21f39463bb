"""Forms of the staff pages: they parse and show errors; the services decide."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone

from salonbook.dates import DayField, parse_aware_time
from salonbook.forms import choice_field, offered, place_service_errors
from salonbook.text import record_id, validate_person_name
from salons.models import Salon, Service, StaffMember
from salons.selectors import staff_doing_service


class AgendaQueryForm(forms.Form):
    """``?date=YYYY-MM-DD&staff=ID`` of the agenda; bad values fall back to today / everyone."""

    date = DayField(required=False)
    staff = forms.IntegerField(required=False, min_value=1)

    def day_and_staff(self, *, today: dt.date) -> tuple[dt.date, int | None]:
        """The day asked for (``today`` when none or a bad one) and the staff member's id, if one."""
        if not self.is_valid():
            return today, None
        return self.cleaned_data["date"] or today, self.cleaned_data["staff"]


@dataclass(frozen=True)
class ShownChoice:
    """What a free-time picker shows now: the service and day whose free times
    are listed, whose (None: anyone free), and the value of the chosen time."""

    service: Service | None
    staff_member: StaffMember | None
    day: dt.date | None
    start: str


class FreeTimePickerForm(forms.Form):
    """A form whose ``start`` holds ``"<staff id>|<ISO start>"``, picked from
    the free starts that availability offers, so one choice names both the
    time and who. Subclasses declare ``staff``, ``date`` and ``start``."""

    # Whether the picker also offers each time with "any stylist" (value
    # ``"any|<ISO start>"``): the salon then chooses who when booking.
    offers_anyone = False
    ANYONE = "any"

    def clean_start(self) -> tuple[int | None, dt.datetime] | None:
        value = self.cleaned_data.get("start") or ""
        if not value:
            return None
        staff_id, _, iso = value.partition("|")
        start = parse_aware_time(iso)
        anyone = self.offers_anyone and staff_id == self.ANYONE
        member_id = record_id(staff_id)
        if start is None or not (anyone or member_id is not None):
            raise forms.ValidationError("Choose one of the free times.")
        return (None if anyone else member_id), start

    @classmethod
    def start_value(cls, staff_member_id: int | None, start: dt.datetime) -> str:
        who = cls.ANYONE if staff_member_id is None else staff_member_id
        return f"{who}|{start.astimezone(dt.UTC).isoformat()}"

    def wants_anyone(self) -> bool:
        """After ``is_valid()``: the chosen time is "any stylist"."""
        chosen = self.cleaned_data.get("start")
        return chosen is not None and chosen[0] is None

    @cached_property
    def offered_staff(self) -> dict[int, StaffMember]:
        """The staff members this form offers, by id: read once per request."""
        return {member.pk: member for member in offered(self, "staff")}

    def staff_member_for_start(self) -> StaffMember | None:
        """Who the chosen free time is with, after ``is_valid()``; None, with an
        error on ``start``, when that is not one of the staff offered or not
        the one chosen in ``staff``."""
        staff_id, _ = self.cleaned_data["start"]
        chosen = self.cleaned_data.get("staff")
        member = self.offered_staff.get(staff_id)
        if member is None or (chosen is not None and chosen.pk != staff_id):
            self.add_error("start", "Choose one of the free times shown.")
            return None
        return member

    def shown_service(self) -> Service | None:
        raise NotImplementedError

    def shown_choice(self) -> ShownChoice:
        """The choice the page shows: what was sent, else what it was prefilled with."""
        if self.is_bound:
            data = getattr(self, "cleaned_data", {})
            return ShownChoice(
                service=self.shown_service(),
                staff_member=data.get("staff"),
                day=data.get("date"),
                start=self.data.get("start", ""),
            )
        return ShownChoice(
            service=self.shown_service(),
            staff_member=self.offered_staff.get(self.initial.get("staff") or 0),
            day=self.initial.get("date"),
            start=self.initial.get("start", ""),
        )


class DeskBookingForm(FreeTimePickerForm):
    """A booking taken at the desk: on the phone or for a walk-in."""

    service = forms.ModelChoiceField(queryset=Service.objects.none(), empty_label=None)
    staff = forms.ModelChoiceField(
        queryset=StaffMember.objects.none(), required=False, empty_label="Anyone free", label="Staff member"
    )
    date = DayField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start = forms.CharField(required=False, label="Time")
    customer_name = forms.CharField(
        max_length=120,
        required=False,
        validators=[validate_person_name],
        label="Customer name",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    customer_phone = forms.CharField(
        max_length=32,
        required=False,
        label="Mobile number",
        help_text="With the country code, or a UK number such as 07911 123456.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "inputmode": "tel"}),
    )
    customer_email = forms.EmailField(required=False, label="Email (optional)")
    repeat_every_weeks = forms.IntegerField(
        required=False, min_value=1, max_value=52, label="Repeat every (weeks)", help_text="Leave empty to book once."
    )
    repeat_count = forms.IntegerField(required=False, min_value=2, max_value=26, label="Times in all")

    offers_anyone = True

    def __init__(self, *args: Any, salon: Salon, booking: bool = False, **kwargs: Any) -> None:
        """``booking=True`` when the desk pressed "Book"; otherwise only the
        service, staff member and day are needed, to list free times."""
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.salon = salon
        self.booking = booking
        choice_field(self, "service").queryset = Service.objects.filter(salon=salon, is_active=True).order_by("name")
        choice_field(self, "staff").queryset = StaffMember.objects.filter(salon=salon, is_active=True).order_by("name")
        if booking:
            for name in ("start", "customer_name", "customer_phone"):
                self.fields[name].required = True
            self.fields["start"].error_messages["required"] = "Choose one of the free times."
            self.fields["customer_name"].error_messages["required"] = "Enter the customer's name."
            self.fields["customer_phone"].error_messages["required"] = "Enter the customer's mobile number."

    @classmethod
    def prefilled(cls, query: QueryDict, *, salon: Salon) -> DeskBookingForm:
        """The empty form, prefilled from the agenda's link to a free cell:
        ``?staff=ID&date=YYYY-MM-DD&start=ISO[&service=ID]``. Without a
        service it offers the staff member's first, else the salon's first."""
        form = cls(salon=salon)
        initial: dict[str, Any] = {"date": timezone.localdate(timezone=salon.tz)}
        day, staff_id = AgendaQueryForm(query).day_and_staff(today=initial["date"])
        initial["date"] = day
        member = form.offered_staff.get(staff_id or 0)
        if member is not None:
            initial["staff"] = member.pk
        if (service_id := record_id(query.get("service", ""))) is not None:
            initial["service"] = service_id
        elif member is not None:
            first = member.services.filter(is_active=True).order_by("name").first()
            if first is not None:
                initial["service"] = first.pk
        start = query.get("start", "")
        start_time = parse_aware_time(start) if start else None
        if start_time is not None and member is not None:
            initial["start"] = cls.start_value(member.pk, start_time)
        if "service" not in initial:
            first_service = offered(form, "service").first()
            initial["service"] = first_service.pk if first_service else None
        form.initial = initial
        return form

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        every, count = data.get("repeat_every_weeks"), data.get("repeat_count")
        if (every is None) != (count is None) and "repeat_every_weeks" not in self.errors:
            missing = "repeat_count" if count is None else "repeat_every_weeks"
            self.add_error(missing, "Give both how often and how many times, or neither.")
        return data

    def repeat(self) -> tuple[int, int] | None:
        """``(every_weeks, count)`` when the desk books a standing appointment."""
        every, count = self.cleaned_data.get("repeat_every_weeks"), self.cleaned_data.get("repeat_count")
        return (every, count) if every and count else None

    def shown_service(self) -> Service | None:
        if self.is_bound:
            return getattr(self, "cleaned_data", {}).get("service")
        services = {service.pk: service for service in offered(self, "service")}
        return services.get(self.initial.get("service"))

    def add_service_errors(self, details: dict[str, Any], message: str) -> None:
        """Put a service's per-field error details next to the fields, or
        ``message`` above the form when none of them has a field here."""
        if not place_service_errors(self, details):
            self.add_error(None, message)


class CancelForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    reason = forms.CharField(
        max_length=200,
        required=False,
        label="Reason (optional)",
        widget=forms.TextInput(attrs={"placeholder": "e.g. customer called to cancel"}),
    )


class RescheduleForm(FreeTimePickerForm):
    """Move a booking: another day, time or staff member for the same service."""

    staff = forms.ModelChoiceField(
        queryset=StaffMember.objects.none(), required=False, empty_label="Anyone free", label="Staff member"
    )
    date = DayField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start = forms.CharField(required=False, label="New time")

    def __init__(self, *args: Any, salon: Salon, service: Service, moving: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.service = service
        choice_field(self, "staff").queryset = staff_doing_service(salon=salon, service=service).order_by("name")
        if moving:
            self.fields["start"].required = True
            self.fields["start"].error_messages["required"] = "Choose one of the free times."

    def shown_service(self) -> Service:
        return self.service
