"""Reading the counts back: latency percentiles as Prometheus computes them."""

from __future__ import annotations

import pytest

from monitoring.metrics.recording import record_request
from monitoring.metrics.snapshot import snapshot
from monitoring.metrics.store import MetricsStore, reset_store, use_store


@pytest.mark.parametrize(
    "latencies, p50, p99",
    [
        ([0.003] * 100, 2.5, 4.95),  # all in the first bucket (0 - 5 ms)
        ([0.003] * 50 + [0.2] * 50, 5.0, 247.0),  # half fast, half in (100 ms, 250 ms]
    ],
)
def test_percentiles_follow_prometheus_histogram_quantile(latencies, p50, p99):
    use_store(MetricsStore(None))
    try:
        for seconds in latencies:
            record_request(method="GET", route="/api/salons/<slug>/", status=200, seconds=seconds)
        latency = snapshot()["latency"]["GET /api/salons/<slug>/"]
    finally:
        reset_store()

    assert latency["count"] == len(latencies)
    assert latency["p50_ms"] == pytest.approx(p50)
    assert latency["p99_ms"] == pytest.approx(p99)
    assert latency["sum_seconds"] == pytest.approx(sum(latencies))
