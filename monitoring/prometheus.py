"""The metrics snapshot in Prometheus' text format, written by prometheus_client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

from monitoring.metrics.snapshot import BREAKER_STATES

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


class SnapshotCollector(Collector):
    """Yields metric families from one ``monitoring.metrics.snapshot.snapshot()``."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        snap = self.snapshot

        requests = CounterMetricFamily(
            "salonbook_http_requests", "HTTP requests by route pattern and status.", labels=["method", "route", "status"]
        )
        for entry in snap["requests"]["by_route"].values():
            for status, count in entry["by_status"].items():
                requests.add_metric([entry["method"], entry["route"], status], count)
        yield requests

        duration = HistogramMetricFamily(
            "salonbook_http_request_duration_seconds",
            "Time spent serving a request, by route pattern.",
            labels=["method", "route"],
        )
        for key, entry in snap["latency"].items():
            method, route = key.split(" ", 1)
            duration.add_metric([method, route], list(entry["buckets"].items()), entry["sum_seconds"])
        yield duration

        yield GaugeMetricFamily(
            "salonbook_http_requests_per_second",
            "Requests per second over the last full minute, all processes.",
            value=snap["requests"]["per_second"],
        )

        bookings = CounterMetricFamily("salonbook_booking_events", "Booking events by kind.", labels=["event"])
        for event, count in snap["bookings"]["by_event"].items():
            bookings.add_metric([event], count)
        yield bookings

        cache = CounterMetricFamily("salonbook_cache_reads", "Cached reads by kind and result.", labels=["kind", "result"])
        for kind, entry in snap["cache"]["by_kind"].items():
            cache.add_metric([kind, "hit"], entry["hits"])
            cache.add_metric([kind, "miss"], entry["misses"])
        yield cache

        limited = CounterMetricFamily("salonbook_rate_limited", "Requests refused over a rate limit.", labels=["scope"])
        for scope, count in snap["rate_limited"]["by_scope"].items():
            limited.add_metric([scope], count)
        yield limited

        failed_open = CounterMetricFamily(
            "salonbook_rate_limit_failed_open",
            "Requests let through because the rate-limit store was unreachable.",
            labels=["scope"],
        )
        for scope, count in snap["rate_limited"]["failed_open_by_scope"].items():
            failed_open.add_metric([scope], count)
        yield failed_open

        messages = CounterMetricFamily(
            "salonbook_messages", "Outbox messages by kind and outcome (sends and provider reports).",
            labels=["kind", "outcome"],
        )
        for kind, outcomes in snap["messages"]["by_kind"].items():
            for outcome, count in outcomes.items():
                messages.add_metric([kind, outcome], count)
        yield messages

        breaker = GaugeMetricFamily(
            "salonbook_whatsapp_breaker_state", "1 for the WhatsApp breaker's current state.", labels=["state"]
        )
        for state in BREAKER_STATES:
            breaker.add_metric([state], 1 if snap["breaker"]["state"] == state else 0)
        yield breaker

        transitions = CounterMetricFamily(
            "salonbook_whatsapp_breaker_transitions", "Breaker moves, by the state entered.", labels=["state"]
        )
        for state, count in snap["breaker"]["transitions"].items():
            transitions.add_metric([state], count)
        yield transitions

        failures = CounterMetricFamily(
            "salonbook_event_receiver_failures", "Event receivers that raised, by signal.", labels=["signal"]
        )
        for signal, count in snap["receiver_failures"]["by_signal"].items():
            failures.add_metric([signal], count)
        yield failures

        yield GaugeMetricFamily(
            "salonbook_metrics_shared",
            "1 when these numbers come from the shared store, 0 when from this process only.",
            value=1 if snap["store"] == "redis" else 0,
        )


def render(snapshot: dict[str, Any]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot))
    return generate_latest(registry)
