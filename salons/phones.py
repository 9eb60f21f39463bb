"""Phone numbers: parsed with Google's libphonenumber, stored as E.164."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError


def normalize_phone(raw: str, *, default_region: str | None = None) -> str:
    """Return ``raw`` as E.164 (``+447700900123``) or raise ``ValueError``.

    A national number ("07700 900123") is read in ``default_region``, the
    salon's own country, since that is how its customers write it.
    """
    text = (raw or "").strip()
    if not text:
        raise ValueError("Enter a phone number.")
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException:
        raise ValueError("Enter a valid phone number with its country code, e.g. +447911123456.") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("Enter a valid phone number with its country code, e.g. +447911123456.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_of(e164: str) -> str | None:
    """The two-letter region of an E.164 number, or None."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)) or None
    except phonenumbers.NumberParseException:
        return None


def main_region_of(e164: str) -> str | None:
    """The main country of an E.164 number's calling code: "GB" for every
    +44 number, though a mobile one may be Guernsey's or Jersey's too."""
    region = region_of(e164)
    if region is None:
        return None
    return phonenumbers.region_code_for_country_code(phonenumbers.country_code_for_region(region)) or region


def validate_e164(value: str) -> None:
    if value and normalize_phone_or_none(value) != value:
        raise ValidationError("Enter the number in international format, e.g. +447911123456.")


def normalize_phone_or_none(value: str) -> str | None:
    try:
        return normalize_phone(value)
    except ValueError:
        return None
