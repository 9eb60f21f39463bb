"""The Redis store: shared by processes, no round trip on a request, no counts lost in an outage."""

from __future__ import annotations

import time

import pytest
import redis

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


def _a_request_with_events() -> None:
    with metrics.batched():
        metrics.record_event("cache_hit", "business_info")
        metrics.record_event("cache_hit", "availability")
        metrics.record_event("rate_limited", "api")
        metrics.record_request(method="GET", route="/api/salons/<slug>/availability/", status=200, seconds=0.01)


def _assert_the_request_with_events_is_in(counters: dict, times: int = 1) -> None:
    assert counters[f"ev{metrics.SEP}cache_hit{metrics.SEP}availability"] == times
    assert counters[f"ev{metrics.SEP}cache_hit{metrics.SEP}business_info"] == times
    assert counters[f"ev{metrics.SEP}rate_limited{metrics.SEP}api"] == times
    assert counters[f"req{metrics.SEP}GET{metrics.SEP}/api/salons/<slug>/availability/{metrics.SEP}200"] == times


def test_a_request_costs_no_round_trip_and_one_flush_writes_many(settings, redis_metrics, sent_packets):
    settings.METRICS_FLUSH_SECONDS = 60  # no background flush during the test
    metrics.record_event("warm", "up")  # connects
    sent_packets.clear()

    _a_request_with_events()
    _a_request_with_events()

    assert sent_packets == []
    # This process sees its own requests before they are written.
    _assert_the_request_with_events_is_in(metrics.get_store().read()[0], times=2)
    other_process = MetricsStore(redis_metrics, prefix=settings.METRICS_KEY_PREFIX)
    assert f"ev{metrics.SEP}rate_limited{metrics.SEP}api" not in other_process.read()[0]
    sent_packets.clear()

    metrics.get_store().flush()

    assert len(sent_packets) == 1
    _assert_the_request_with_events_is_in(other_process.read()[0], times=2)


def test_the_background_flush_writes_a_request_within_the_interval(settings, redis_metrics):
    settings.METRICS_FLUSH_SECONDS = 0.2
    other_process = MetricsStore(redis_metrics, prefix=settings.METRICS_KEY_PREFIX)

    _a_request_with_events()

    deadline = time.monotonic() + 3
    while f"ev{metrics.SEP}rate_limited{metrics.SEP}api" not in other_process.read()[0]:
        assert time.monotonic() < deadline, "not written by the background flush"
        time.sleep(0.05)
    _assert_the_request_with_events_is_in(other_process.read()[0])
    minute = int(time.time() // 60)
    per_minute = redis.Redis.from_url(redis_metrics)
    written = sum(int(per_minute.hget(f"{settings.METRICS_KEY_PREFIX}:minute:{m}", "requests") or 0) for m in (minute - 1, minute))
    assert written == 1  # the request rate too


def test_with_no_flush_interval_each_request_is_written_in_one_round_trip(settings, redis_metrics, sent_packets):
    settings.METRICS_FLUSH_SECONDS = 0
    metrics.record_event("warm", "up")  # connects
    sent_packets.clear()

    with metrics.batched():
        metrics.record_event("cache_hit", "availability")
        assert sent_packets == []  # nothing written before the request ends
    _a_request_with_events()

    assert len(sent_packets) == 2
    other_process = MetricsStore(redis_metrics, prefix=settings.METRICS_KEY_PREFIX)
    assert other_process.read()[0][f"ev{metrics.SEP}cache_hit{metrics.SEP}availability"] == 2


def test_events_outside_a_request_are_written_at_once(settings, redis_metrics, sent_packets):
    """Celery tasks and commands have no request to wait for: each event is written as it comes."""
    metrics.record_event("reminder", "sent")  # connects
    sent_packets.clear()

    metrics.record_event("reminder", "sent")
    metrics.record_event("booking", "created")

    assert len(sent_packets) == 2
    counters = MetricsStore(redis_metrics, prefix=settings.METRICS_KEY_PREFIX).read()[0]
    assert counters[f"ev{metrics.SEP}reminder{metrics.SEP}sent"] == 2


def test_unwritten_counts_are_written_when_the_store_is_dropped(settings, redis_metrics):
    """What a process exit does (atexit) and a settings change does."""
    settings.METRICS_FLUSH_SECONDS = 60
    _a_request_with_events()

    metrics.reset_store()

    _assert_the_request_with_events_is_in(MetricsStore(redis_metrics, prefix=settings.METRICS_KEY_PREFIX).read()[0])


def test_a_request_failing_inside_the_batch_is_still_counted(redis_metrics):
    with pytest.raises(RuntimeError):
        with metrics.batched():
            metrics.record_event("cache_miss", "availability")
            raise RuntimeError("view blew up")

    counters = metrics.get_store().read()[0]
    assert counters[f"ev{metrics.SEP}cache_miss{metrics.SEP}availability"] == 1


def test_redis_outage_keeps_counting_in_process_and_writes_back_after(spare_redis, redis_connects):
    store = MetricsStore(spare_redis.url, prefix="sb:test", retry_after=1.0)
    _request(store)
    assert _count(store) == 1

    spare_redis.stop()
    _request(store)  # one failed attempt...
    tried = len(redis_connects)
    for _ in range(49):
        _request(store)
    assert len(redis_connects) == tried  # ...then no Redis calls until the retry time
    assert store.is_degraded
    assert store.status()["status"] == "down"
    assert _count(store) == 51  # last numbers read from Redis + this process's unsent ones
    assert store.read()[3] == "local"

    spare_redis.start()  # an empty Redis: the earlier count died with the old one
    time.sleep(1.05)
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
