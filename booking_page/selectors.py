"""What the booking page shows of a salon, read once and kept with its
business info.

The page is one HTML response whose salon part comes from the cache: the
salon's business info (``salons.selectors.business_info_for_slug``) plus what
only the page needs (opening hours, closures ahead, languages, who may frame
it), kept under the same version as the business info, so every change that
makes that stale makes this stale too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import phonenumbers

from salons.cache import cached_business_info
from salons.models import Salon, SalonClosure, WorkingHours, frame_origins
from salons.selectors import business_info_for_slug, salon_region

LANGUAGES = ("en", "es")

# The currency a salon's prices are in, by the country of its WhatsApp
# number: the salon model has no currency of its own yet.
_CURRENCIES = {
    "GB": "GBP",
    "US": "USD",
    "MX": "MXN",
    "AR": "ARS",
    "CO": "COP",
    "CL": "CLP",
    "PE": "PEN",
    "CH": "CHF",
}
_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "MXN": "$", "ARS": "$", "COP": "$", "CLP": "$", "CHF": "CHF"}


def _opening_hours(salon: Salon) -> dict[str, list[str]]:
    """Per weekday ("0" Monday: keys that survive JSON), the earliest start and the latest end of the
    active staff's hours, as "HH:MM": the salon is open while anyone works."""
    hours: dict[int, list[dt.time]] = {}
    rows = WorkingHours.objects.filter(staff_member__salon=salon, staff_member__is_active=True).values_list(
        "weekday", "start_time", "end_time"
    )
    for weekday, start, end in rows:
        opens, closes = hours.get(weekday, [start, end])
        hours[weekday] = [min(opens, start), max(closes, end)]
    return {str(day): [t.strftime("%H:%M") for t in pair] for day, pair in sorted(hours.items())}


def page_info_for_slug(slug: str, *, today: dt.date) -> dict[str, Any] | None:
    """The salon ``slug`` as its booking page shows it (JSON-ready); None
    when no salon has that slug or it has nothing to book (no active service
    that an active staff member does)."""
    info = business_info_for_slug(slug)
    if info is None:
        return None
    salon = Salon.objects.get(pk=info["id"])
    bookable = {service_id for member in info["staff"] for service_id in member["services"]}
    info["services"] = [service for service in info["services"] if service["id"] in bookable]
    if not info["services"]:
        return None
    region = salon_region(whatsapp_phone=salon.whatsapp_phone)
    currency = _CURRENCIES.get(region, "EUR")
    closures = SalonClosure.objects.filter(salon=salon, date_to__gte=today).values_list("date_from", "date_to")
    return {
        **info,
        "language": salon.language,
        "region": region,
        "calling_code": phonenumbers.country_code_for_region(region),
        "currency": currency,
        "currency_symbol": _SYMBOLS.get(currency, currency),
        "opening_hours": _opening_hours(salon),
        "closures": [[start.isoformat(), end.isoformat()] for start, end in closures],
        "embed_origins": frame_origins(salon.embed_origins),
    }


def booking_page_info(slug: str, *, today: dt.date) -> dict[str, Any] | None:
    """``page_info_for_slug`` from the cache (an hour, or until the salon's
    business info changes); ``today`` only drops closures already past."""
    return cached_business_info(slug=slug, part="page", build=lambda: page_info_for_slug(slug, today=today))


def todays_hours(info: dict[str, Any], *, today: dt.date) -> list[str] | None:
    """["09:00", "18:00"] on a day the salon opens ``today``, None when closed."""
    day = today.isoformat()
    if any(start <= day <= end for start, end in info["closures"]):
        return None
    hours = info["opening_hours"].get(str(today.weekday()))
    return list(hours) if hours else None


def page_language(*, asked: str | None, accept_language: str, salon_language: str) -> str:
    """The page's language: the one picked on the page (``?lang=``), else the
    browser's first preference the page speaks, else the salon's own."""
    if asked in LANGUAGES:
        return asked
    preferences = []
    for position, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        preferences.append((-quality, position, tag.strip().lower().split("-")[0]))
    for _, _, language in sorted(preferences):
        if language in LANGUAGES:
            return language
    return salon_language if salon_language in LANGUAGES else LANGUAGES[0]
