"""Every metric read back from the store into the one dict the admins'
metrics page, ``/api/metrics`` and the Prometheus renderer show: totals,
the request rate and latency percentiles.

``snapshot() -> dict`` has these keys (a stable format)::

    store              "redis" | "local" (Redis down or not configured)
    generated_at       ISO 8601, UTC
    requests           {"total": int, "errors_5xx": int,
                        "per_second": float (over the last full minute),
                        "by_route": {"GET /api/salons/<slug>/":
                                     {"method", "route", "total", "by_status": {"200": int}}}}
    latency            {"GET /api/salons/<slug>/":
                        {"count", "sum_seconds", "p50_ms", "p95_ms", "p99_ms",
                         "buckets": {"0.005": cumulative int, ..., "+Inf": int}}}
    bookings           {"by_event": {"created": int, "confirmed": ..., "cancelled",
                                     "completed", "no_show", "rescheduled"},
                        "cancellations": int, "no_shows": int}
    cache              {"hits": int, "misses": int, "hit_ratio": float | None,
                        "by_kind": {"availability": {"hits", "misses"}, ...}}
    rate_limited       {"total": int, "by_scope": {"api": int, ...},
                        "failed_open": int, "failed_open_by_scope": {...}}
    messages           {"totals": {outcome: int}, "by_kind": {"reminder_24h": {outcome: int}, ...},
                        "delivery_rate": float | None, "read_rate": float | None}
                       outcomes: sent, retried, failed, expired (our sends) and
                       delivered, read, undelivered (the provider's webhook);
                       the rates are delivered / sent and read / sent
    breaker            {"state": "closed" | "open" | "half-open" | "unknown",
                        "transitions": {"open": int, ...}}
    receiver_failures  {"total": int, "by_signal": {"booking_created": int, ...}}
    waitlist           {"by_event": {"joined", "offered", "claimed", "expired", "declined": int},
                        "fill_rate": float | None}  (claimed / offered: freed time refilled)

While Redis is down it shows the last numbers read from Redis plus this
process's unwritten ones, with ``"store": "local"``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from monitoring.metrics.fields import EVENT, LATENCY_BUCKET, LATENCY_BUCKETS, LATENCY_SUM, REQUEST, SEP
from monitoring.metrics.store import get_store

# Always shown, at zero when nothing happened yet.
BOOKING_EVENTS = ("created", "confirmed", "cancelled", "completed", "no_show", "rescheduled")
MESSAGE_OUTCOMES = ("sent", "retried", "failed", "expired", "delivered", "read", "undelivered")
# The states the Prometheus renderer gives a 0/1 gauge each.
BREAKER_STATES = ("closed", "open", "half-open")

PERCENTILES = (("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99))


def route_key(method: str, route: str) -> str:
    return f"{method} {route}"


@dataclass
class _Series:
    """The store's counters, sorted by kind (see ``fields``)."""

    by_route: dict[str, dict[str, Any]] = field(default_factory=dict)
    latency_buckets: dict[str, list[int]] = field(default_factory=dict)  # per bucket, not cumulative
    latency_sums: dict[str, float] = field(default_factory=dict)
    events: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> label -> count

    def event_counts(self, kind: str) -> dict[str, int]:
        return self.events.get(kind, {})


def _sort_counters(counters: dict[str, float]) -> _Series:
    series = _Series()
    for name, value in counters.items():
        parts = name.split(SEP)
        kind = parts[0]
        # A field of an unexpected shape (written by an older or newer
        # version) is skipped, not allowed to break the page.
        if kind == REQUEST and len(parts) == 4:
            _, method, route, status = parts
            entry = series.by_route.setdefault(
                route_key(method, route), {"method": method, "route": route, "total": 0, "by_status": {}}
            )
            entry["total"] += int(value)
            entry["by_status"][status] = entry["by_status"].get(status, 0) + int(value)
        elif kind == LATENCY_BUCKET and len(parts) == 4:
            _, method, route, index = parts
            buckets = series.latency_buckets.setdefault(route_key(method, route), [0] * len(LATENCY_BUCKETS))
            position = int(index)
            if 0 <= position < len(buckets):
                buckets[position] += int(value)
        elif kind == LATENCY_SUM and len(parts) == 3:
            series.latency_sums[route_key(parts[1], parts[2])] = value
        elif kind == EVENT and len(parts) == 3:
            series.events.setdefault(parts[1], {})[parts[2]] = int(value)
    return series


def _quantile(q: float, cumulative: list[tuple[float, int]]) -> float | None:
    """Prometheus' ``histogram_quantile``: interpolate inside the bucket."""
    if not cumulative or cumulative[-1][1] == 0:
        return None
    total = cumulative[-1][1]
    rank = q * total
    lower_bound, lower_count = 0.0, 0
    for bound, count in cumulative:
        if count >= rank:
            if math.isinf(bound):
                # Above the last finite bucket: the best we can say is its bound.
                return lower_bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count)
        lower_bound, lower_count = bound, count
    return lower_bound


def _bucket_label(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(bound)


def _requests(series: _Series, requests_last_minute: int) -> dict[str, Any]:
    total = errors = 0
    for entry in series.by_route.values():
        for status, count in entry["by_status"].items():
            total += count
            if status.startswith("5"):
                errors += count
    return {
        "total": total,
        "errors_5xx": errors,
        "per_second": round(requests_last_minute / 60, 3),
        "by_route": dict(sorted(series.by_route.items())),
    }


def _latency(series: _Series) -> dict[str, dict[str, Any]]:
    latency: dict[str, dict[str, Any]] = {}
    for key, buckets in sorted(series.latency_buckets.items()):
        running, cumulative = 0, []
        for bound, count in zip(LATENCY_BUCKETS, buckets):
            running += count
            cumulative.append((bound, running))
        percentiles = {}
        for name, q in PERCENTILES:
            value = _quantile(q, cumulative)
            percentiles[name] = None if value is None else round(value * 1000, 2)
        latency[key] = {
            "count": running,
            "sum_seconds": round(series.latency_sums.get(key, 0.0), 6),
            **percentiles,
            "buckets": {_bucket_label(bound): count for bound, count in cumulative},
        }
    return latency


def _bookings(series: _Series) -> dict[str, Any]:
    counts = series.event_counts("booking")
    by_event = {name: counts.get(name, 0) for name in BOOKING_EVENTS}
    return {"by_event": by_event, "cancellations": by_event["cancelled"], "no_shows": by_event["no_show"]}


def _cache(series: _Series) -> dict[str, Any]:
    hits, misses = series.event_counts("cache_hit"), series.event_counts("cache_miss")
    hit_total, miss_total = sum(hits.values()), sum(misses.values())
    return {
        "hits": hit_total,
        "misses": miss_total,
        "hit_ratio": round(hit_total / (hit_total + miss_total), 4) if hit_total + miss_total else None,
        "by_kind": {
            kind: {"hits": hits.get(kind, 0), "misses": misses.get(kind, 0)} for kind in sorted(set(hits) | set(misses))
        },
    }


def _rate_limited(series: _Series) -> dict[str, Any]:
    limited, failed_open = series.event_counts("rate_limited"), series.event_counts("rate_limit_failed_open")
    return {
        "total": sum(limited.values()),
        "by_scope": dict(sorted(limited.items())),
        "failed_open": sum(failed_open.values()),
        "failed_open_by_scope": dict(sorted(failed_open.items())),
    }


def _messages(series: _Series) -> dict[str, Any]:
    by_kind: dict[str, dict[str, int]] = {}
    for label, count in series.event_counts("message").items():
        kind, _, outcome = label.rpartition("/")
        if outcome in MESSAGE_OUTCOMES:
            row = by_kind.setdefault(kind, dict.fromkeys(MESSAGE_OUTCOMES, 0))
            row[outcome] += count
    totals = {outcome: sum(row[outcome] for row in by_kind.values()) for outcome in MESSAGE_OUTCOMES}
    sent = totals["sent"]
    return {
        "totals": totals,
        "by_kind": dict(sorted(by_kind.items())),
        # Read implies delivered even when the provider skipped reporting it.
        "delivery_rate": round(min(1.0, max(totals["delivered"], totals["read"]) / sent), 4) if sent else None,
        "read_rate": round(min(1.0, totals["read"] / sent), 4) if sent else None,
    }


WAITLIST_EVENTS = ("joined", "offered", "claimed", "expired", "declined")


def _waitlist(series: _Series) -> dict[str, Any]:
    counts = series.event_counts("waitlist")
    by_event = {name: counts.get(name, 0) for name in WAITLIST_EVENTS}
    offered = by_event["offered"]
    return {"by_event": by_event, "fill_rate": round(by_event["claimed"] / offered, 4) if offered else None}


def snapshot() -> dict[str, Any]:
    """Every metric, from Redis (or this process while Redis is down). See the module doc."""
    reading = get_store().read()
    series = _sort_counters(reading.counters)
    failures = series.event_counts("receiver_failed")
    return {
        "store": reading.source,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "requests": _requests(series, reading.requests_last_minute),
        "latency": _latency(series),
        "bookings": _bookings(series),
        "cache": _cache(series),
        "rate_limited": _rate_limited(series),
        "messages": _messages(series),
        "breaker": {
            "state": reading.gauges.get("breaker_state", "unknown"),
            "transitions": dict(sorted(series.event_counts("breaker").items())),
        },
        "receiver_failures": {"total": sum(failures.values()), "by_signal": dict(sorted(failures.items()))},
        "waitlist": _waitlist(series),
    }
