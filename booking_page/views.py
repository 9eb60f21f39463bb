"""The salon's booking page: one server-rendered response; the page's script
then speaks the public API (calendar, availability, bookings, waitlist)."""

from __future__ import annotations

import json
import zoneinfo
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from booking_page import texts
from booking_page.selectors import booking_page_info, page_language, todays_hours
from booking_page.structured_data import salon_json_ld


def _price(info: dict[str, Any], price: str, language: str) -> str:
    symbol = info["currency_symbol"]
    if language == "es":
        return f"{price.replace('.', ',')}\u00a0{symbol}"
    return f"{symbol}{price}"


def _framing(response: HttpResponse, origins: list[str]) -> None:
    """Only the origins the salon lists may show the page in a frame; with
    none listed, framing stays refused as everywhere else."""
    if origins:
        response._csp_replace = {"frame-ancestors": origins}  # type: ignore[attr-defined]
        response.xframe_options_exempt = True


@require_safe
@vary_on_headers("Accept-Language")
def booking_page(request: HttpRequest, slug: str) -> HttpResponse:
    now = timezone.now()
    info = booking_page_info(slug, today=now.date())
    asked = request.GET.get("lang")
    language = page_language(
        asked=asked,
        accept_language=request.headers.get("Accept-Language", ""),
        salon_language=info["language"] if info else "en",
    )
    with translation.override(language):
        if info is None:
            return render(request, "booking_page/not_found.html", {"language": language}, status=404)
        today = timezone.localdate(now, timezone=zoneinfo.ZoneInfo(info["timezone"]))
        url = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("booking-page", args=[slug])
        hours = todays_hours(info, today=today)
        services = [
            {**service, "price_text": _price(info, service["price"], language)} for service in info["services"]
        ]
        page = {
            "slug": info["slug"],
            "timezone": info["timezone"],
            "locale": f"{language}-{info['region']}",
            "language": language,
            "window_days": info["booking_rules"]["booking_window_days"],
            "today": today.isoformat(),
            "services": [
                {
                    "id": s["id"],
                    "name": s["name"],
                    "minutes": s["duration_minutes"],
                    "price": s["price_text"],
                }
                for s in services
            ],
            "staff": [{"id": m["id"], "name": m["name"], "services": m["services"]} for m in info["staff"]],
            "text": texts.script_texts(),
        }
        context = {
            "info": info,
            "language": language,
            "other_languages": [code for code in ("en", "es") if code != language],
            "services": services,
            "today_name": date_format(today, "l"),
            "hours": hours,
            "canonical": url,
            "map_url": "https://www.google.com/maps/search/?api=1&query=" + quote(f"{info['name']}, {info['address']}"),
            "json_ld": json.dumps(salon_json_ld(info, url=url), ensure_ascii=False).replace("<", "\\u003c"),
            "page": page,
            "og_locale": f"{language}_{info['region']}",
            "cutoff_hours": info["booking_rules"]["cancellation_cutoff_hours"],
        }
        response = render(request, "booking_page/page.html", context)
    response["Content-Language"] = language
    _framing(response, info["embed_origins"])
    return response
