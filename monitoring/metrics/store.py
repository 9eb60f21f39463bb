"""Where counters and gauges live: one Redis hash shared by every process,
with this process's unwritten counts as the fallback.

The store owns the Redis keys and every round trip to them::

    <prefix>                  hash: counter field -> total (see ``fields``)
    <prefix>:gauges           hash: gauge name -> value ("breaker_state")
    <prefix>:minute:<minute>  hash: "requests" -> requests in that minute
                              (minutes since the epoch; kept MINUTE_KEY_TTL)

Counts added with ``defer`` (a request's, handed over by
``recording.batched()``) cost no round trip: a background thread writes
everything this process holds in one pipelined round trip every
``METRICS_FLUSH_SECONDS`` (0 writes at once). Counts added without it (Celery
tasks, management commands, which may exit right after) are written at once.
At a normal exit the unwritten counts are written too; only a killed process
loses its last interval.

While Redis is down (or not configured) the counts stay in this process and
go with the first round trip after it returns, so an outage loses no counts.
``read()`` always adds this process's unwritten counts to what it reads, so
this process sees its own numbers at once.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any, NamedTuple

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from monitoring.metrics.fields import holds_seconds
from salonbook.redis_clients import redis_client

logger = logging.getLogger("salonbook.monitoring")

# A failed round trip makes the store skip Redis for this long, so an outage
# costs one timeout per process every few seconds, not one per request.
RETRY_AFTER_SECONDS = 5.0
# Per-minute request totals live this long: enough for "the last full minute".
MINUTE_KEY_TTL = 300


def _this_minute() -> int:
    return int(time.time() // 60)


class StoreReading(NamedTuple):
    """What ``MetricsStore.read()`` returns."""

    counters: dict[str, float]
    gauges: dict[str, str]
    requests_last_minute: int  # requests in the last full minute
    source: str  # "redis", or "local" when Redis is down or not configured


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
            redis_client(
                url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                # No retries: a metric is not worth making a request wait.
                retry=Retry(NoBackoff(), 0),
            )
            if url
            else None
        )
        # Guards every attribute below: requests add from many threads while
        # the background thread takes the pending counts away.
        self._lock = threading.Lock()
        # Added here, not yet written to Redis.
        self._pending: Counter[str] = Counter()
        self._pending_gauges: dict[str, str] = {}
        self._pending_minutes: Counter[int] = Counter()
        # This process's own requests per minute: the request rate shown
        # while Redis is down or not configured.
        self._local_minutes: Counter[int] = Counter()
        # The last numbers read from Redis, shown while it is down.
        self._last_read: tuple[dict[str, float], dict[str, str]] = ({}, {})
        self._retry_at = 0.0  # time.monotonic() before which Redis is not tried
        self._redis_down = False
        self._flusher_pid = 0  # the process whose background thread is running
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
            unsent_series = len(self._pending) + len(self._pending_gauges)
        if self._redis_down:
            return {"status": "down", "store": "local", "unsent_series": unsent_series}
        return {"status": "up", "store": "redis", "unsent_series": unsent_series}

    def _has_pending(self) -> bool:
        return bool(self._pending or self._pending_gauges or self._pending_minutes)

    # --- writing -----------------------------------------------------------------

    def add(
        self,
        increments: Mapping[str, float],
        gauges: dict[str, str] | None = None,
        *,
        requests: int = 0,
        defer: bool = False,
    ) -> None:
        """Add ``increments`` (and set ``gauges``); ``requests`` counts towards
        the request rate. Written to Redis at once, in one round trip, or with
        ``defer`` by the next background flush."""
        with self._lock:
            self._pending.update(increments)
            if gauges:
                self._pending_gauges.update(gauges)
            if requests:
                self._count_requests(requests)
        if self._client is None:
            return
        if defer and self.flush_interval > 0:
            self._start_flusher_once()
        else:
            self.flush()

    def _count_requests(self, requests: int) -> None:
        # Called with the lock held.
        minute = _this_minute()
        self._local_minutes[minute] += requests
        if self._client is not None:  # without Redis nothing would ever write them
            self._pending_minutes[minute] += requests
        # Only the last full minute is ever read: forget the older ones.
        for old in [m for m in self._local_minutes if m < minute - 1]:
            del self._local_minutes[old]

    def flush(self) -> None:
        """Write every count this process holds to Redis, in one round trip
        (nothing while a failed round trip's retry time has not come)."""
        with self._lock:
            if self._client is None or time.monotonic() < self._retry_at:
                return
            if not self._has_pending():
                return
            counts, self._pending = self._pending, Counter()
            gauges, self._pending_gauges = self._pending_gauges, {}
            minutes, self._pending_minutes = self._pending_minutes, Counter()
        # Written outside the lock: requests keep adding while it travels.
        self._write(counts, gauges, minutes)

    def close(self) -> None:
        """Write what is left and stop the background flush."""
        self._closed.set()
        self.flush()

    def _start_flusher_once(self) -> None:
        # One thread per process. The pid, not a flag, says whether it runs:
        # a forked child (a gunicorn worker of a preloaded app) inherits the
        # parent's store but not its threads, so it must start its own.
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

    def _write(self, counts: Counter[str], gauges: dict[str, str], minutes: Counter[int]) -> None:
        assert self._client is not None
        pipe = self._client.pipeline(transaction=False)
        for field, amount in counts.items():
            if holds_seconds(field):
                pipe.hincrbyfloat(self.prefix, field, amount)
            else:
                pipe.hincrby(self.prefix, field, int(amount))
        for field, value in gauges.items():
            pipe.hset(f"{self.prefix}:gauges", field, value)
        for minute, requests in minutes.items():
            key = f"{self.prefix}:minute:{minute}"
            pipe.hincrby(key, "requests", requests)
            pipe.expire(key, MINUTE_KEY_TTL)
        try:
            pipe.execute()
        except redis.RedisError as exc:
            with self._lock:
                # Counts are kept for the next round trip. Per-minute requests
                # are not: held back through an outage they would no longer
                # be a rate.
                self._pending.update(counts)
                for name, value in gauges.items():
                    # A gauge set while this round trip failed is newer: keep it.
                    self._pending_gauges.setdefault(name, value)
            self._went_down(exc)
            return
        self._came_back()

    def probe(self) -> dict[str, Any]:
        """Write the unwritten counts now, or ping Redis when there are none,
        and say how the store is doing (the health check)."""
        if self._client is not None and time.monotonic() >= self._retry_at:
            with self._lock:
                pending = self._has_pending()
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

    def read(self) -> StoreReading:
        """Every counter and gauge, this process's unwritten counts included,
        and the requests of the last full minute."""
        last_minute = _this_minute() - 1
        with self._lock:
            pending = Counter(self._pending)
            pending_gauges = dict(self._pending_gauges)
            requests_last_minute = self._local_minutes.get(last_minute, 0)
        source = "local"
        counters: dict[str, float] = {}
        gauges: dict[str, str] = {}
        if self._client is not None:
            try:
                pipe = self._client.pipeline(transaction=False)
                pipe.hgetall(self.prefix)
                pipe.hgetall(f"{self.prefix}:gauges")
                pipe.hget(f"{self.prefix}:minute:{last_minute}", "requests")
                raw_counters, raw_gauges, raw_requests = pipe.execute()
            except redis.RedisError:
                # Shown as down; writes keep to their own retry time.
                counters, gauges = self._last_read
                self._redis_down = True
            else:
                counters = {k.decode(): float(v) for k, v in raw_counters.items()}
                gauges = {k.decode(): v.decode() for k, v in raw_gauges.items()}
                requests_last_minute = int(raw_requests or 0)
                self._last_read = (counters, gauges)
                source = "redis"
        merged: Counter[str] = Counter(counters)
        merged.update(pending)
        return StoreReading(dict(merged), {**gauges, **pending_gauges}, requests_last_minute, source)

    def clear(self) -> None:
        """Forget every count (tests and a deliberate reset only)."""
        with self._lock:
            self._pending.clear()
            self._pending_gauges.clear()
            self._pending_minutes.clear()
            self._local_minutes.clear()
            self._last_read = ({}, {})
            self._retry_at = 0.0
            self._redis_down = False
        if self._client is not None:
            try:
                keys = list(self._client.scan_iter(match=f"{self.prefix}*"))
                if keys:
                    self._client.delete(*keys)
            except redis.RedisError:
                pass


# --- the process's store --------------------------------------------------------

_store: MetricsStore | None = None
_store_lock = threading.Lock()


def get_store() -> MetricsStore:
    """The process's store, built on first use from the settings."""
    global _store
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


def use_store(store: MetricsStore) -> None:
    """Make ``store`` the process's store (tests that build their own)."""
    global _store
    with _store_lock:
        _store = store


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
