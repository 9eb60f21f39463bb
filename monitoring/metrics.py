"""Counters and latency histograms shared by every process through Redis.

A request costs no round trip to Redis at all: the monitoring middleware
handles each request inside ``batched()``, which adds the request's counters
and the events sent during it (cache hits, rate limits, bookings) to this
process's unwritten counts, and a background thread writes those to Redis in
one pipelined round trip every ``METRICS_FLUSH_SECONDS`` (one second by
default; 0 writes at the end of each request). So other processes see a
request's numbers within that interval, and this process at once: ``read()``
adds its unwritten counts to what it reads. Outside a request (Celery tasks,
management commands) each event is written in its own round trip, since such
a process may exit right after it; at a normal exit the unwritten counts are
written too (only a killed process loses its last interval).

While Redis is down (or not configured) the numbers stay in this process and
are written on the first round trip after it returns, so an outage loses no
counts; ``snapshot()`` then shows the last numbers read from Redis plus this
process's unwritten ones, with ``"store": "local"``.

Read API (stable, used by the admins' metrics page and ``/api/metrics``):
``snapshot() -> dict`` with these keys::

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
    reminders          {"sent": int, "retried": int, "failed": int, "expired": int}
    breaker            {"state": "closed" | "open" | "half-open" | "unknown",
                        "transitions": {"open": int, ...}}
    receiver_failures  {"total": int, "by_signal": {"booking_created": int, ...}}

Routes are URL patterns (``/api/bookings/<reference>/``), never raw paths, so
ids and slugs do not multiply the series.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import math
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger("salonbook.monitoring")

# Prometheus' default buckets, in seconds: fine below 100 ms where our reads
# live, coarse above 1 s where only something broken goes.
LATENCY_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, math.inf,
)
BOOKING_EVENTS = ("created", "confirmed", "cancelled", "completed", "no_show", "rescheduled")
REMINDER_OUTCOMES = ("sent", "retried", "failed", "expired")
BREAKER_STATES = ("closed", "open", "half-open")
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# A failed round trip makes the store skip Redis for this long, so an outage
# costs one timeout per process every few seconds, not one per request.
RETRY_AFTER_SECONDS = 5.0
# Per-minute request totals live this long: enough for "the last full minute".
MINUTE_KEY_TTL = 300

SEP = "\t"  # field separator: routes and labels never contain a tab


def _bucket_index(seconds: float) -> int:
    for index, bound in enumerate(LATENCY_BUCKETS):
        if seconds <= bound:
            return index
    return len(LATENCY_BUCKETS) - 1


class MetricsStore:
    """Counters in one Redis hash, with this process's counts as the fallback."""

    def __init__(
        self,
        url: str | None,
        *,
        prefix: str = "sb:metrics",
        timeout: float = 0.25,
        retry_after: float = RETRY_AFTER_SECONDS,
        flush_interval: float = 0.0,
    ) -> None:
        self.prefix = prefix
        self.retry_after = retry_after
        self.flush_interval = flush_interval
        self._client = (
            redis.Redis.from_url(
                url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                # No retries: a metric is not worth making a request wait.
                retry=Retry(NoBackoff(), 0),
            )
            if url
            else None
        )
        self._lock = threading.Lock()
        self._pending: Counter[str] = Counter()  # added here, not yet in Redis
        self._pending_gauges: dict[str, str] = {}
        self._pending_minutes: Counter[int] = Counter()  # requests per minute, not yet in Redis
        self._retry_at = 0.0
        self._redis_down = False
        self._last_read: tuple[dict[str, float], dict[str, str]] = ({}, {})
        self._minutes: Counter[int] = Counter()  # this process's requests per minute
        self._flusher_pid = 0  # the process whose background thread writes deferred counts
        self._closed = threading.Event()

    # --- state -------------------------------------------------------------------

    @property
    def uses_redis(self) -> bool:
        return self._client is not None

    @property
    def is_degraded(self) -> bool:
        """True while Redis is configured but the last round trip failed."""
        return self._client is not None and self._redis_down

    def status(self) -> dict[str, Any]:
        """How the store is doing, without touching Redis."""
        if self._client is None:
            return {"status": "disabled", "store": "local"}
        with self._lock:
            pending = len(self._pending) + len(self._pending_gauges)
        return {"status": "down" if self._redis_down else "up", "store": "local" if self._redis_down else "redis",
                "unsent_series": pending}

    # --- writing -----------------------------------------------------------------

    def add(
        self,
        increments: dict[str, float],
        gauges: dict[str, str] | None = None,
        *,
        requests: int = 0,
        defer: bool = False,
    ) -> None:
        """Add ``increments`` (and set ``gauges``). Written to Redis at once, in
        one round trip, or with ``defer`` by the next background flush."""
        with self._lock:
            self._pending.update(increments)
            if gauges:
                self._pending_gauges.update(gauges)
            if requests:
                minute = int(time.time() // 60)
                self._minutes[minute] += requests
                if self._client is not None:  # without Redis nothing ever writes them
                    self._pending_minutes[minute] += requests
                if len(self._minutes) > 3:
                    for old in [m for m in self._minutes if m < minute - 1]:
                        del self._minutes[old]
        if self._client is None:
            return
        if defer and self.flush_interval > 0:
            self._ensure_flusher()
        else:
            self.flush()

    def flush(self) -> None:
        """Write every count this process holds to Redis, in one round trip
        (nothing while a failed round trip's retry time has not come)."""
        with self._lock:
            if self._client is None or time.monotonic() < self._retry_at:
                return
            if not (self._pending or self._pending_gauges or self._pending_minutes):
                return
            counts, self._pending = self._pending, Counter()
            gauge_values, self._pending_gauges = self._pending_gauges, {}
            minutes, self._pending_minutes = self._pending_minutes, Counter()
        self._write(counts, gauge_values, minutes)

    def close(self) -> None:
        """Write what is left and stop the background flush."""
        self._closed.set()
        self.flush()

    def _ensure_flusher(self) -> None:
        # One thread per process; a forked child (a gunicorn worker of a
        # preloaded app) starts its own, as threads do not survive a fork.
        if self._flusher_pid == os.getpid():
            return
        with self._lock:
            if self._flusher_pid == os.getpid():
                return
            self._flusher_pid = os.getpid()
        threading.Thread(target=self._flush_every_interval, name="metrics-flush", daemon=True).start()

    def _flush_every_interval(self) -> None:
        while not self._closed.wait(self.flush_interval):
            try:
                self.flush()
            except Exception:  # the thread must outlive any one failure
                logger.exception("could not write metrics")

    def _write(self, counts: Counter[str], gauge_values: dict[str, str], minutes: Counter[int]) -> None:
        assert self._client is not None
        pipe = self._client.pipeline(transaction=False)
        for field, amount in counts.items():
            if field.startswith("latsum"):
                pipe.hincrbyfloat(self.prefix, field, amount)
            else:
                pipe.hincrby(self.prefix, field, int(amount))
        if gauge_values:
            pipe.hset(f"{self.prefix}:gauges", mapping=gauge_values)
        for minute, requests in minutes.items():
            key = f"{self.prefix}:minute:{minute}"
            pipe.hincrby(key, "requests", requests)
            pipe.expire(key, MINUTE_KEY_TTL)
        try:
            pipe.execute()
        except redis.RedisError as exc:
            with self._lock:
                # Counts are kept for later; per-minute requests are not: held
                # back through an outage they would no longer be a rate.
                self._pending.update(counts)
                for name, value in gauge_values.items():
                    self._pending_gauges.setdefault(name, value)
            self._went_down(exc)
            return
        self._came_back()

    def probe(self) -> dict[str, Any]:
        """Write the unwritten counts now, or ping Redis when there are none,
        and say how the store is doing (the health check)."""
        if self._client is not None and time.monotonic() >= self._retry_at:
            with self._lock:
                pending = bool(self._pending or self._pending_gauges or self._pending_minutes)
            if pending:
                self.flush()
            else:
                try:
                    self._client.ping()
                except redis.RedisError as exc:
                    self._went_down(exc)
                else:
                    self._came_back()
        return self.status()

    def _went_down(self, exc: Exception) -> None:
        with self._lock:
            self._retry_at = time.monotonic() + self.retry_after
            was_down, self._redis_down = self._redis_down, True
        if not was_down:
            logger.warning("metrics store unreachable, keeping counts in this process", extra={"error": type(exc).__name__})

    def _came_back(self) -> None:
        if self._redis_down:
            self._redis_down = False
            logger.info("metrics store reachable again, unsent counts written")

    # --- reading -----------------------------------------------------------------

    def read(self) -> tuple[dict[str, float], dict[str, str], dict[str, int], str]:
        """Counters, gauges, per-minute totals and where they came from."""
        now_minute = int(time.time() // 60)
        with self._lock:
            pending = Counter(self._pending)
            pending_gauges = dict(self._pending_gauges)
            minutes: dict[str, int] = {"requests": self._minutes.get(now_minute - 1, 0)}
        store = "local"
        if self._client is None:
            counters: dict[str, float] = {}
            gauges: dict[str, str] = {}
        else:
            try:
                pipe = self._client.pipeline(transaction=False)
                pipe.hgetall(self.prefix)
                pipe.hgetall(f"{self.prefix}:gauges")
                pipe.hgetall(f"{self.prefix}:minute:{now_minute - 1}")
                raw_counters, raw_gauges, raw_minute = pipe.execute()
            except redis.RedisError:
                counters, gauges = self._last_read
                self._redis_down = True
            else:
                counters = {k.decode(): float(v) for k, v in raw_counters.items()}
                gauges = {k.decode(): v.decode() for k, v in raw_gauges.items()}
                minutes = {k.decode(): int(v) for k, v in raw_minute.items()}
                self._last_read = (counters, gauges)
                store = "redis"
        merged: Counter[str] = Counter(counters)
        merged.update(pending)
        return dict(merged), {**gauges, **pending_gauges}, minutes, store

    def clear(self) -> None:
        """Forget every count (tests and a deliberate reset only)."""
        with self._lock:
            self._pending.clear()
            self._pending_gauges.clear()
            self._pending_minutes.clear()
            self._last_read = ({}, {})
            self._minutes.clear()
            self._retry_at = 0.0
            self._redis_down = False
        if self._client is not None:
            try:
                keys = list(self._client.scan_iter(match=f"{self.prefix}*"))
                if keys:
                    self._client.delete(*keys)
            except redis.RedisError:
                pass


_store: MetricsStore | None = None
_store_lock = threading.Lock()


def get_store() -> MetricsStore:
    """The process's store, built on first use from the settings."""
    global _store
    if _store is None:
        with _store_lock:
            if _store is None:
                _store = MetricsStore(
                    getattr(settings, "METRICS_REDIS_URL", None),
                    prefix=getattr(settings, "METRICS_KEY_PREFIX", "sb:metrics"),
                    timeout=getattr(settings, "REDIS_TIMEOUT", 0.25),
                    retry_after=getattr(settings, "METRICS_RETRY_AFTER_SECONDS", RETRY_AFTER_SECONDS),
                    flush_interval=getattr(settings, "METRICS_FLUSH_SECONDS", 0.0),
                )
    return _store


def reset_store() -> None:
    """Drop the process's store (its unwritten counts written first) so the
    next use reads the settings again."""
    global _store
    with _store_lock:
        store, _store = _store, None
    if store is not None:
        store.close()


@atexit.register
def _flush_at_exit() -> None:
    if _store is not None:
        _store.close()


# --- recording ---------------------------------------------------------------------


class _Batch:
    """What one request added, written to the store when it ends."""

    __slots__ = ("counts", "gauges", "requests")

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.gauges: dict[str, str] = {}
        self.requests = 0


_batch: ContextVar[_Batch | None] = ContextVar("salonbook_metrics_batch", default=None)


@contextmanager
def batched() -> Iterator[None]:
    """Keep every count added inside the block and hand them to the store at
    its end, for its next background flush (the monitoring middleware wraps
    each request in this). Nested blocks join the outer one."""
    if _batch.get() is not None:
        yield
        return
    batch = _Batch()
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
        if batch.counts or batch.gauges or batch.requests:
            try:
                get_store().add(batch.counts, batch.gauges, requests=batch.requests, defer=True)
            except Exception:  # counting must never cost a customer their response
                logger.exception("could not record request metrics")


def _add(increments: dict[str, float], gauges: dict[str, str] | None = None, *, requests: int = 0) -> None:
    batch = _batch.get()
    if batch is None:
        get_store().add(increments, gauges, requests=requests)
        return
    batch.counts.update(increments)
    if gauges:
        batch.gauges.update(gauges)
    batch.requests += requests


def route_key(method: str, route: str) -> str:
    return f"{method} {route}"


def record_request(*, method: str, route: str, status: int, seconds: float) -> None:
    """Count one finished request and its latency."""
    method = method if method in HTTP_METHODS else "OTHER"
    labels = f"{method}{SEP}{route}"
    _add(
        {
            f"req{SEP}{labels}{SEP}{status}": 1,
            f"lat{SEP}{labels}{SEP}{_bucket_index(seconds)}": 1,
            f"latsum{SEP}{labels}": seconds,
        },
        requests=1,
    )


def record_event(kind: str, label: str, amount: int = 1) -> None:
    """Count one domain or operational event, e.g. ``("booking", "created")``."""
    _add({f"ev{SEP}{kind}{SEP}{label}": amount})


def set_breaker_state(old_state: str, new_state: str) -> None:
    _add({f"ev{SEP}breaker{SEP}{new_state}": 1}, {"breaker_state": new_state})


# --- reading -----------------------------------------------------------------------


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


def snapshot() -> dict[str, Any]:
    """Every metric, from Redis (or this process while Redis is down). See the module doc."""
    counters, gauges, minutes, store = get_store().read()

    by_route: dict[str, dict[str, Any]] = {}
    histograms: dict[str, list[int]] = {}
    sums: dict[str, float] = {}
    events: dict[str, dict[str, int]] = {}
    total = errors = 0
    for field, value in counters.items():
        parts = field.split(SEP)
        kind = parts[0]
        if kind == "req" and len(parts) == 4:
            _, method, route, status = parts
            entry = by_route.setdefault(
                route_key(method, route), {"method": method, "route": route, "total": 0, "by_status": {}}
            )
            count = int(value)
            entry["total"] += count
            entry["by_status"][status] = entry["by_status"].get(status, 0) + count
            total += count
            if status.startswith("5"):
                errors += count
        elif kind == "lat" and len(parts) == 4:
            _, method, route, index = parts
            buckets = histograms.setdefault(route_key(method, route), [0] * len(LATENCY_BUCKETS))
            position = int(index)
            if 0 <= position < len(buckets):
                buckets[position] += int(value)
        elif kind == "latsum" and len(parts) == 3:
            sums[route_key(parts[1], parts[2])] = value
        elif kind == "ev" and len(parts) == 3:
            events.setdefault(parts[1], {})[parts[2]] = int(value)

    latency: dict[str, dict[str, Any]] = {}
    for key, buckets in sorted(histograms.items()):
        running, cumulative = 0, []
        for bound, count in zip(LATENCY_BUCKETS, buckets):
            running += count
            cumulative.append((bound, running))
        percentiles = {}
        for name, q in (("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99)):
            value = _quantile(q, cumulative)
            percentiles[name] = None if value is None else round(value * 1000, 2)
        latency[key] = {
            "count": running,
            "sum_seconds": round(sums.get(key, 0.0), 6),
            **percentiles,
            "buckets": {_bucket_label(bound): count for bound, count in cumulative},
        }

    booking_events = {name: events.get("booking", {}).get(name, 0) for name in BOOKING_EVENTS}
    hits = events.get("cache_hit", {})
    misses = events.get("cache_miss", {})
    hit_total, miss_total = sum(hits.values()), sum(misses.values())
    limited = events.get("rate_limited", {})
    failed_open = events.get("rate_limit_failed_open", {})
    failures = events.get("receiver_failed", {})
    return {
        "store": store,
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "requests": {
            "total": total,
            "errors_5xx": errors,
            "per_second": round(minutes.get("requests", 0) / 60, 3),
            "by_route": dict(sorted(by_route.items())),
        },
        "latency": latency,
        "bookings": {
            "by_event": booking_events,
            "cancellations": booking_events["cancelled"],
            "no_shows": booking_events["no_show"],
        },
        "cache": {
            "hits": hit_total,
            "misses": miss_total,
            "hit_ratio": round(hit_total / (hit_total + miss_total), 4) if hit_total + miss_total else None,
            "by_kind": {
                kind: {"hits": hits.get(kind, 0), "misses": misses.get(kind, 0)}
                for kind in sorted(set(hits) | set(misses))
            },
        },
        "rate_limited": {
            "total": sum(limited.values()),
            "by_scope": dict(sorted(limited.items())),
            "failed_open": sum(failed_open.values()),
            "failed_open_by_scope": dict(sorted(failed_open.items())),
        },
        "reminders": {name: events.get("reminder", {}).get(name, 0) for name in REMINDER_OUTCOMES},
        "breaker": {
            "state": gauges.get("breaker_state", "unknown"),
            "transitions": dict(sorted(events.get("breaker", {}).items())),
        },
        "receiver_failures": {
            "total": sum(failures.values()),
            "by_signal": dict(sorted(failures.items())),
        },
    }
