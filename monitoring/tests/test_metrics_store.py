"""The Redis store: shared by processes, one round trip a request, no counts lost in an outage."""

from __future__ import annotations

import time

import pytest
import redis
from redis.connection import Connection

from monitoring import metrics
from monitoring.metrics import MetricsStore


def _request(store: MetricsStore, route: str = "/api/salons/<slug>/", status: int = 200, seconds: float = 0.02) -> None:
    labels = f"GET{metrics.SEP}{route}"
    store.add(
        {
            f"req{metrics.SEP}{labels}{metrics.SEP}{status}": 1,
            f"lat{metrics.SEP}{labels}{metrics.SEP}{metrics._bucket_index(seconds)}": 1,
            f"latsum{metrics.SEP}{labels}": seconds,
        },
        requests=1,
    )


def _count(store: MetricsStore, route: str = "/api/salons/<slug>/", status: str = "200") -> int:
    counters, _, _, _ = store.read()
    return int(counters.get(f"req{metrics.SEP}GET{metrics.SEP}{route}{metrics.SEP}{status}", 0))


def test_two_processes_share_one_set_of_numbers(redis_url):
    web_1 = MetricsStore(redis_url, prefix="sb:test")
    web_2 = MetricsStore(redis_url, prefix="sb:test")

    _request(web_1)
    _request(web_2)
    _request(web_2, status=404)

    assert _count(web_1) == _count(web_2) == 2
    assert _count(web_1, status="404") == 1
    assert web_1.read()[3] == "redis"


def test_a_request_costs_one_round_trip(settings, redis_metrics, monkeypatch):
    metrics.record_request(method="GET", route="/warm", status=200, seconds=0.01)  # connects
    sent = []
    original = Connection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(command)
        return original(self, command, check_health)

    monkeypatch.setattr(Connection, "send_packed_command", counting)

    metrics.record_request(method="GET", route="/api/salons/<slug>/", status=200, seconds=0.01)

    assert len(sent) == 1


def test_redis_outage_keeps_counting_in_process_and_writes_back_after(spare_redis):
    store = MetricsStore(spare_redis.url, prefix="sb:test", retry_after=0.2)
    _request(store)
    assert _count(store) == 1

    spare_redis.stop()
    started = time.perf_counter()
    for _ in range(50):
        _request(store)
    spent = time.perf_counter() - started

    assert spent < 0.5  # one failed attempt, then no Redis calls until the retry time
    assert store.is_degraded
    assert store.status()["status"] == "down"
    assert _count(store) == 51  # last numbers read from Redis + this process's unsent ones
    assert store.read()[3] == "local"

    spare_redis.start()  # an empty Redis: the earlier count died with the old one
    time.sleep(0.25)
    _request(store)

    assert not store.is_degraded
    other_process = MetricsStore(spare_redis.url, prefix="sb:test")
    assert _count(other_process) == 51  # the 50 kept during the outage + the new one
    assert redis.Redis.from_url(spare_redis.url).hlen("sb:test") > 0


def test_without_redis_each_process_counts_its_own():
    store = MetricsStore(None)

    _request(store)
    _request(store)

    assert _count(store) == 2
    assert store.status() == {"status": "disabled", "store": "local"}


@pytest.mark.parametrize(
    "latencies, p50, p99",
    [
        ([0.003] * 100, 2.5, 4.95),  # all in the first bucket (0 - 5 ms)
        ([0.003] * 50 + [0.2] * 50, 5.0, 247.0),  # half fast, half in (100 ms, 250 ms]
    ],
)
def test_percentiles_follow_prometheus_histogram_quantile(latencies, p50, p99):
    store = MetricsStore(None)
    for seconds in latencies:
        _request(store, seconds=seconds)
    metrics._store = store
    try:
        latency = metrics.snapshot()["latency"]["GET /api/salons/<slug>/"]
    finally:
        metrics.reset_store()

    assert latency["count"] == len(latencies)
    assert latency["p50_ms"] == pytest.approx(p50)
    assert latency["p99_ms"] == pytest.approx(p99)
    assert latency["sum_seconds"] == pytest.approx(sum(latencies))
