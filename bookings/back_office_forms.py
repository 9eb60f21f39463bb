"""Forms of the customers pages."""

from __future__ import annotations

from django import forms

from bookings.customer_data import NOTE_MAX_CHARS


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=120,
        label="Name or phone",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    page = forms.IntegerField(required=False, min_value=1)


class CustomerNoteForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_CHARS,
        label="Staff note",
        help_text="Seen by the salon's staff only: preferences, allergies, what worked last time.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class EraseCustomerForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand: their name, phone and email are removed from every booking, for good.",
        error_messages={"required": "Tick the box to confirm the erasure."},
    )
