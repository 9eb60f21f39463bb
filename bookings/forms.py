"""Forms of the staff pages: they parse and show errors; the services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from salons.models import Salon, Service, StaffMember


# The service's error details name fields as the API does; the form's names
# differ in one place.
def place_service_errors(form: forms.Form, details: dict[str, Any] | None) -> bool:
    """Put a service's per-field error details (a ``DomainError``'s, keyed
    like the form's fields) next to those fields; False when none fits."""
    placed = False
    for key, problems in (details or {}).items():
        if key not in form.fields:
            continue
        for problem in problems if isinstance(problems, list | tuple) else [problems]:
            form.add_error(key, str(problem))
        placed = True
    return placed


class AgendaQueryForm(forms.Form):
    """``?date=YYYY-MM-DD&staff=ID`` of the agenda; bad values fall back to today / everyone."""

    date = forms.DateField(required=False)
    staff = forms.IntegerField(required=False, min_value=1)


class DeskBookingForm(forms.Form):
    """A booking taken at the desk: on the phone or for a walk-in.

    ``start`` holds ``"<staff id>|<ISO start>"`` picked from the free starts
    that availability offers, so one choice names both the time and who.
    """

    service = forms.ModelChoiceField(queryset=Service.objects.none(), empty_label=None)
    staff = forms.ModelChoiceField(
        queryset=StaffMember.objects.none(), required=False, empty_label="Anyone free", label="Staff member"
    )
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start = forms.CharField(required=False, label="Time")
    customer_name = forms.CharField(
        max_length=120,
        required=False,
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

    def __init__(self, *args: Any, salon: Salon, booking: bool = False, **kwargs: Any) -> None:
        """``booking=True`` when the desk pressed "Book"; otherwise only the
        service, staff member and day are needed, to list free times."""
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.salon = salon
        self.booking = booking
        self.fields["service"].queryset = Service.objects.filter(salon=salon, is_active=True).order_by("name")
        self.fields["staff"].queryset = StaffMember.objects.filter(salon=salon, is_active=True).order_by("name")
        if booking:
            for name in ("start", "customer_name", "customer_phone"):
                self.fields[name].required = True
            self.fields["start"].error_messages["required"] = "Choose one of the free times."
            self.fields["customer_name"].error_messages["required"] = "Enter the customer's name."
            self.fields["customer_phone"].error_messages["required"] = "Enter the customer's mobile number."

    def clean_start(self) -> tuple[int, dt.datetime] | None:
        value = self.cleaned_data.get("start") or ""
        if not value:
            return None
        staff_id, _, iso = value.partition("|")
        try:
            start = dt.datetime.fromisoformat(iso)
            staff_id_int = int(staff_id)
        except ValueError:
            raise forms.ValidationError("Choose one of the free times.") from None
        if start.tzinfo is None:
            raise forms.ValidationError("Choose one of the free times.")
        return staff_id_int, start

    @staticmethod
    def start_value(staff_member_id: int, start: dt.datetime) -> str:
        return f"{staff_member_id}|{start.astimezone(dt.UTC).isoformat()}"

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


class RescheduleForm(forms.Form):
    """Move a booking: another day, time or staff member for the same service."""

    staff = forms.ModelChoiceField(
        queryset=StaffMember.objects.none(), required=False, empty_label="Anyone free", label="Staff member"
    )
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start = forms.CharField(required=False, label="New time")

    def __init__(self, *args: Any, salon: Salon, service: Service, moving: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = StaffMember.objects.filter(
            salon=salon, is_active=True, services=service
        ).order_by("name")
        if moving:
            self.fields["start"].required = True
            self.fields["start"].error_messages["required"] = "Choose one of the free times."

    clean_start = DeskBookingForm.clean_start
