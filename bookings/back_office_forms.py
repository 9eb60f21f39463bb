"""Forms of the customers and reports pages."""

from __future__ import annotations

import datetime as dt

from django import forms

from bookings.customer_data import NOTE_MAX_CHARS
from bookings.reports import MAX_DAYS
from salonbook.dates import DayField

DEFAULT_REPORT_DAYS = 30


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


class ReportRangeForm(forms.Form):
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD``, salon-local dates, both included."""

    date_from = DayField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = DayField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    @classmethod
    def for_query(cls, query, *, today: dt.date) -> ReportRangeForm:
        """The form bound to the query string, or to the last 30 days when it names no dates."""
        if "date_from" not in query and "date_to" not in query:
            first = today - dt.timedelta(days=DEFAULT_REPORT_DAYS - 1)
            query = {"date_from": first.isoformat(), "date_to": today.isoformat()}
        return cls(query)

    def clean(self):
        cleaned = super().clean() or {}
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last:
            if last < first:
                self.add_error("date_to", "The range must end on or after its first day.")
            elif (last - first).days + 1 > MAX_DAYS:
                self.add_error("date_to", f"Choose at most {MAX_DAYS} days.")
        return cleaned
