"""The admins' metrics page: the numbers of ``/api/metrics`` and ``/api/health``
as charts, plus bookings per day from the database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from bookings.models import Booking
from bookings.selectors import booking_counts_by_day
from monitoring.health import health
from monitoring.metrics.snapshot import snapshot
from salons.views import admin_required

PAST_DAYS = 14  # the days the rates are taken over, today included
AHEAD_DAYS = 7  # upcoming days shown on the bookings chart
TOP_ROUTES = 12
CHECK_LABELS = {
    "database": "Database",
    "cache": "Cache (Redis)",
    "celery_broker": "Celery broker",
    "metrics_store": "Metrics store",
}

STATUS_ORDER = [
    Booking.Status.COMPLETED,
    Booking.Status.CONFIRMED,
    Booking.Status.PENDING,
    Booking.Status.NO_SHOW,
    Booking.Status.CANCELLED,
]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def bookings_chart(today: dt.date) -> tuple[dict[str, Any], dict[str, Any]]:
    """Bookings per day by status, and the cancellation and no-show rates of the past days."""
    first, last = today - dt.timedelta(days=PAST_DAYS - 1), today + dt.timedelta(days=AHEAD_DAYS)
    counts = booking_counts_by_day(first_day=first, last_day=last)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    series = {
        status.value: [counts.get(day, {}).get(status.value, 0) for day in days] for status in STATUS_ORDER
    }
    past = [counts.get(day, {}) for day in days if day <= today]
    total = sum(sum(day.values()) for day in past)
    cancelled = sum(day.get(Booking.Status.CANCELLED, 0) for day in past)
    no_shows = sum(day.get(Booking.Status.NO_SHOW, 0) for day in past)
    attended_or_not = no_shows + sum(day.get(Booking.Status.COMPLETED, 0) for day in past)
    chart = {
        "labels": [day.strftime("%a %d %b") for day in days],
        "today_index": days.index(today),
        "series": [
            {"status": status.value, "label": status.label, "data": series[status.value]} for status in STATUS_ORDER
        ],
    }
    rates = {
        "total": total,
        "cancellation_rate": _rate(cancelled, total),
        "no_show_rate": _rate(no_shows, attended_or_not),
        "cancelled": cancelled,
        "no_shows": no_shows,
        "attended_or_not": attended_or_not,
    }
    return chart, rates


def latency_rows(latency: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The busiest routes first, with their percentiles."""
    rows = [
        {"route": route, "count": data["count"], "p50": data["p50_ms"], "p95": data["p95_ms"], "p99": data["p99_ms"]}
        for route, data in latency.items()
    ]
    rows.sort(key=lambda row: (-row["count"], row["route"]))
    return rows


@never_cache
@admin_required
def metrics_view(request: HttpRequest) -> HttpResponse:
    metrics = snapshot()
    report = health()
    today = timezone.now().astimezone(dt.UTC).date()
    bookings, rates = bookings_chart(today)
    routes = latency_rows(metrics["latency"])
    charts = {
        "bookings": bookings,
        "latency": {
            "labels": [row["route"] for row in routes[:TOP_ROUTES]],
            "p50": [row["p50"] for row in routes[:TOP_ROUTES]],
            "p95": [row["p95"] for row in routes[:TOP_ROUTES]],
            "p99": [row["p99"] for row in routes[:TOP_ROUTES]],
        },
        "cache": {"hits": metrics["cache"]["hits"], "misses": metrics["cache"]["misses"]},
        "messages": metrics["messages"]["totals"],
        "events": metrics["bookings"]["by_event"],
    }
    context = {
        "nav": "metrics",
        "metrics": metrics,
        "health": report,
        "health_checks": [
            {"label": CHECK_LABELS.get(name, name.replace("_", " ").capitalize()), **check}
            for name, check in report["checks"].items()
        ],
        "rates": rates,
        "routes": routes,
        "charts": charts,
        "past_days": PAST_DAYS,
        "hit_ratio": metrics["cache"]["hit_ratio"],
    }
    return render(request, "monitoring/metrics.html", context)
