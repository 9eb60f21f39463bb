"""How far from today a day or a time given by a client may lie: the one rule.

A salon plans weeks ahead and reports on years behind; nothing it does needs
a day more than ten years from today. Past that, arithmetic on a day near
0001-01-01 or 9999-12-31 (the next day, the day's bounds in a time zone)
overflows Python's dates and would answer 500. Every form and API field that
parses a day or a time from a client checks it here, so the rest of the code
only ever sees days it can compute with.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

MAX_DAYS_AWAY = 3660  # ten years and a little: a report of the last decade fits
OUT_OF_REACH = "Choose a day within ten years of today."


def day_within_reach(value: dt.date, *, today: dt.date | None = None) -> bool:
    """Whether ``value`` (a day, or the day of a time) lies within reach of ``today``."""
    day = value.date() if isinstance(value, dt.datetime) else value
    today = today or dt.date.today()
    return abs((day - today).days) <= MAX_DAYS_AWAY


def validate_day_within_reach(value: dt.date) -> None:
    """A validator for Django form fields and DRF serializer fields alike
    (DRF turns Django's ``ValidationError`` into a field error)."""
    if not day_within_reach(value):
        raise ValidationError(OUT_OF_REACH, code="out_of_reach")


class DayField(forms.DateField):
    """A form's day, within reach of today."""

    default_validators = [validate_day_within_reach]


class DaySerializerField(serializers.DateField):
    """An API's day (YYYY-MM-DD), within reach of today."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["validators"] = [*kwargs.get("validators", ()), validate_day_within_reach]
        super().__init__(**kwargs)


def parse_aware_time(text: str) -> dt.datetime | None:
    """An ISO 8601 time with its UTC offset, within reach, in UTC; None for
    anything else (no offset, not a time, a day out of reach, too long)."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    try:
        value = parse_datetime(text)
    except ValueError:
        return None
    if value is None:
        return None
    if value.tzinfo is None or not day_within_reach(value):
        return None
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:  # pragma: no cover - out of reach is refused first
        return None
