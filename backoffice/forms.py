"""The back office's forms: what an owner types, parsed and checked for shape.

The rules themselves (a break inside the day, a time zone change with
bookings ahead) are the services'; their refusals come back as
``InvalidInput`` and ``show_refusal`` puts each message on its field.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms

from resources.models import Resource
from salonbook.dates import DayField
from salonbook.errors import InvalidInput
from salonbook.text import record_id, validate_person_name
from salons.models import Salon, Service, StaffMember, WorkingHours
from salons.schedules import DayHours

TIME = forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def show_refusal(form: forms.Form, refused: InvalidInput, *, prefix: str = "") -> None:
    """Put a service's refusal on the fields it names (``prefix``: the form's
    part of a name such as ``"2."``); anything else goes above the form."""
    for name, messages in refused.details.items():
        field = name[len(prefix) :] if prefix and name.startswith(prefix) else name
        for message in messages if isinstance(messages, list) else [messages]:
            form.add_error(field if field in form.fields else None, message)
    if not refused.details:
        form.add_error(None, refused.message)


def make_read_only(*forms_: forms.Form) -> None:
    """Stylists see the back office with every field disabled."""
    for form in forms_:
        for field in form.fields.values():
            field.disabled = True


class BackOfficeForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ProfileForm(BackOfficeForm):
    name = forms.CharField(max_length=120)
    address = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    whatsapp_phone = forms.CharField(
        max_length=20, required=False, label="WhatsApp number", help_text="With the country code, e.g. +447911123456"
    )
    language = forms.ChoiceField(choices=Salon.Language.choices, label="Language of customer messages")

    @classmethod
    def initial_for(cls, salon: Salon) -> dict[str, Any]:
        return {name: getattr(salon, name) for name in cls.base_fields}


class RulesForm(BackOfficeForm):
    timezone = forms.ChoiceField(label="Time zone")
    slot_minutes = forms.IntegerField(min_value=5, max_value=240, label="Slot length (minutes)")
    booking_window_days = forms.IntegerField(min_value=1, max_value=365, label="Bookings open (days ahead)")
    cancellation_cutoff_hours = forms.IntegerField(
        min_value=0, max_value=720, label="Online cancellation closes (hours before)"
    )
    minimum_notice_minutes = forms.IntegerField(
        min_value=0,
        max_value=60 * 24 * 14,
        label="Minimum notice (minutes)",
        help_text="Customers book at least this far ahead",
    )
    auto_confirm = forms.BooleanField(required=False, label="Confirm new bookings automatically")
    customers_book_series = forms.BooleanField(
        required=False, label="Let customers book a standing appointment online"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zones = sorted(zoneinfo.available_timezones())
        self.fields["timezone"].choices = [(zone, zone) for zone in zones]  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, salon: Salon) -> dict[str, Any]:
        return {name: getattr(salon, name) for name in cls.base_fields}


class BookingPageForm(BackOfficeForm):
    online_bookings_per_phone = forms.IntegerField(
        min_value=1,
        max_value=100,
        label="Upcoming online bookings per phone number",
        help_text="More than this and a customer is asked to call the salon",
    )
    embed_origins = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Sites that may show the booking page",
        help_text="One a line, e.g. https://www.example.com; the page is shown in no other site's frame",
    )

    @classmethod
    def initial_for(cls, salon: Salon) -> dict[str, Any]:
        return {name: getattr(salon, name) for name in cls.base_fields}


class ServiceForm(BackOfficeForm):
    name = forms.CharField(max_length=120)
    duration_minutes = forms.IntegerField(min_value=5, max_value=600, label="Duration (minutes)")
    buffer_minutes = forms.IntegerField(min_value=0, max_value=240, initial=0, label="Clean-up after (minutes)")
    price = forms.DecimalField(min_value=0, max_digits=8, decimal_places=2)
    processing_after_minutes = forms.IntegerField(
        min_value=0, max_value=600, initial=0, required=False, label="Processing starts after (minutes)"
    )
    processing_minutes = forms.IntegerField(
        min_value=0,
        max_value=600,
        initial=0,
        required=False,
        label="Processing (minutes)",
        help_text="The customer stays, the staff member is free to serve someone else (a colour developing)",
    )

    @classmethod
    def initial_for(cls, service: Service) -> dict[str, Any]:
        return {name: getattr(service, name) for name in cls.base_fields}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["processing_after_minutes"] = data.get("processing_after_minutes") or 0
        data["processing_minutes"] = data.get("processing_minutes") or 0
        return data


class ServiceEditForm(ServiceForm):
    """A service's details and the resources it needs for its whole time."""

    resources = forms.ModelMultipleChoiceField(
        queryset=Resource.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Needs",
        help_text="One of each for the service's whole time",
    )

    def __init__(self, *args: Any, salon: Salon, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        resources = self.fields["resources"]
        assert isinstance(resources, forms.ModelMultipleChoiceField)
        resources.queryset = Resource.objects.filter(salon=salon, is_active=True).order_by("name")

    @classmethod
    def initial_for(cls, service: Service) -> dict[str, Any]:
        initial = {name: getattr(service, name) for name in ServiceForm.base_fields}
        initial["resources"] = list(service.resources.filter(is_active=True))
        return initial


class ResourceForm(BackOfficeForm):
    name = forms.CharField(max_length=80)
    quantity = forms.IntegerField(min_value=1, max_value=50, initial=1, help_text="How many the salon has")
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Needed by",
        help_text="Services that need one for their whole time",
    )

    def __init__(self, *args: Any, salon: Salon, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        services = self.fields["services"]
        assert isinstance(services, forms.ModelMultipleChoiceField)
        services.queryset = Service.objects.filter(salon=salon).order_by("order", "name")


class ServicesField(forms.ModelMultipleChoiceField):
    """Services by id. An id too large for the database is refused as one
    that does not exist: Django checks the range of a single id, not of a
    list (``pk__in``), which SQLite cannot bind past 64 bits."""

    def clean(self, value: Any) -> Any:
        for pk in value if isinstance(value, list | tuple) else ():
            if record_id(pk) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super().clean(value)


class StaffMemberForm(BackOfficeForm):
    name = forms.CharField(max_length=120, validators=[validate_person_name])
    role = forms.ChoiceField(choices=StaffMember.Role.choices)
    services = ServicesField(
        queryset=Service.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Works here (can be booked and log in)")

    def __init__(self, *args: Any, salon: Salon, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        services = self.fields["services"]
        assert isinstance(services, forms.ModelMultipleChoiceField)
        services.queryset = Service.objects.filter(salon=salon, is_active=True).order_by("order", "name")

    @classmethod
    def initial_for(cls, member: StaffMember) -> dict[str, Any]:
        return {
            "name": member.name,
            "role": member.role,
            "is_active": member.is_active,
            "services": [s.pk for s in member.services.all()],
        }


class InviteForm(BackOfficeForm):
    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocapitalize": "none"}))
    email = forms.EmailField(required=False, label="Email (optional)")


class DayHoursForm(BackOfficeForm):
    """One weekday of the week page: works or not, hours, an optional break."""

    works = forms.BooleanField(required=False, label="Works")
    start_time = forms.TimeField(required=False, widget=TIME, label="From")
    end_time = forms.TimeField(required=False, widget=TIME, label="Until")
    break_start = forms.TimeField(required=False, widget=TIME, label="Break from")
    break_end = forms.TimeField(required=False, widget=TIME, label="Break until")

    def __init__(self, *args: Any, weekday: int, **kwargs: Any) -> None:
        super().__init__(*args, prefix=f"day{weekday}", **kwargs)
        self.weekday = weekday
        self.day_name = WorkingHours.Weekday(weekday).label.title()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("works"):
            for name in ("start_time", "end_time"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, "Enter when the day starts and ends, or untick Works.")
        return data

    def day_hours(self) -> DayHours | None:
        data = self.cleaned_data
        if not data.get("works"):
            return None
        return DayHours(data["start_time"], data["end_time"], data.get("break_start"), data.get("break_end"))

    @staticmethod
    def initial_for(hours: WorkingHours | None) -> dict[str, Any]:
        if hours is None:
            return {"works": False}
        return {
            "works": True,
            "start_time": hours.start_time,
            "end_time": hours.end_time,
            "break_start": hours.break_start,
            "break_end": hours.break_end,
        }


def week_forms(member: StaffMember, data: Any = None) -> list[DayHoursForm]:
    """Seven forms, Monday to Sunday, filled from the member's hours."""
    hours = {wh.weekday: wh for wh in member.working_hours.all()}
    return [
        DayHoursForm(data, weekday=day, initial=DayHoursForm.initial_for(hours.get(day)))
        for day in WorkingHours.Weekday.values
    ]


class DayOffForm(BackOfficeForm):
    date = DayField(widget=DATE)
    reason = forms.CharField(max_length=120, required=False, label="Reason (optional)")


class ClosureForm(BackOfficeForm):
    date_from = DayField(widget=DATE, label="Closed from")
    date_to = DayField(widget=DATE, required=False, label="Until (leave empty for one day)")
    reason = forms.CharField(max_length=120, required=False, label="Reason (optional)", help_text="e.g. Bank holiday")
