"""The counting API the receivers and the middleware call: a finished
request, a domain or operational event, the breaker's state.

Inside ``batched()`` (the monitoring middleware wraps each request in it)
counts are kept with the request and handed to the store in one go when it
ends, for the store's next background flush: a request makes no round trip
to Redis for its metrics. Outside a request (Celery tasks, management
commands) each count goes to the store at once, written in its own round trip.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from monitoring.metrics.fields import event_field, latency_bucket_field, latency_sum_field, request_field
from monitoring.metrics.store import get_store

logger = logging.getLogger("salonbook.monitoring")

# Anything else a client sends is counted as "OTHER", so made-up methods
# cannot multiply the series.
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class _Batch:
    """What one request added, handed to the store when it ends."""

    __slots__ = ("counts", "gauges", "requests")

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.gauges: dict[str, str] = {}
        self.requests = 0

    def __bool__(self) -> bool:
        return bool(self.counts or self.gauges or self.requests)


# The batch of the request this thread (or task) is serving, if any.
_current_batch: ContextVar[_Batch | None] = ContextVar("salonbook_metrics_batch", default=None)


@contextmanager
def batched() -> Iterator[None]:
    """Keep every count added inside the block and hand them to the store at
    its end, for its next background flush. Nested blocks join the outer one."""
    if _current_batch.get() is not None:
        yield
        return
    batch = _Batch()
    token = _current_batch.set(batch)
    try:
        yield
    finally:
        _current_batch.reset(token)
        if batch:
            try:
                get_store().add(batch.counts, batch.gauges, requests=batch.requests, defer=True)
            except Exception:  # counting must never cost a customer their response
                logger.exception("could not record request metrics")


def _add(increments: dict[str, float], gauges: dict[str, str] | None = None, *, requests: int = 0) -> None:
    batch = _current_batch.get()
    if batch is None:
        get_store().add(increments, gauges, requests=requests)
        return
    batch.counts.update(increments)
    if gauges:
        batch.gauges.update(gauges)
    batch.requests += requests


def record_request(*, method: str, route: str, status: int, seconds: float) -> None:
    """Count one finished request and its latency. ``route`` is the URL
    pattern, never the raw path."""
    method = method if method in HTTP_METHODS else "OTHER"
    _add(
        {
            request_field(method, route, status): 1,
            latency_bucket_field(method, route, seconds): 1,
            latency_sum_field(method, route): seconds,
        },
        requests=1,
    )


def record_event(kind: str, label: str, amount: int = 1) -> None:
    """Count one domain or operational event, e.g. ``("booking", "created")``."""
    _add({event_field(kind, label): amount})


def set_breaker_state(old_state: str, new_state: str) -> None:
    """Count the breaker's move to ``new_state`` and remember it as its state."""
    _add({event_field("breaker", new_state): 1}, {"breaker_state": new_state})
