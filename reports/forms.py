"""The report page's date range."""

from __future__ import annotations

import datetime as dt

from django import forms

from reports.selectors import MAX_DAYS
from salonbook.dates import DayField

DEFAULT_REPORT_DAYS = 30


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
