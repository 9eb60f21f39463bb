"""The Redis store: shared by processes, no round trip on a request, no counts lost in an outage."""

from __future__ import annotations

import time

import pytest
import redis

from monitoring.metrics.fields import SEP, latency_bucket_index
from monitoring.metrics.recording import batched, record_event, record_request
from monitoring.metrics.store import MetricsStore, get_store, reset_store


def _request(store: MetricsStore, route: str = "/api/salons/<slug>/", status: int = 200, seconds: float = 0.02) -> None:
    labels = f"GET{SEP}{route}"
    store.add(
        {
            f"req{SEP}{labels}{SEP}{status}": 1,
            f"lat{SEP}{labels}{SEP}{latency_bucket_index(seconds)}": 1,
            f"latsum{SEP}{labels}": seconds,
        },
        requests=1,
    )


def _count(store: MetricsStore, route: str = "/api/salons/<slug>/", status: str = "200") -> int:
    counters, _, _, _ = store.read()
    return int(counters.get(f"req{SEP}GET{SEP}{route}{SEP}{status}", 0))


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
    with batched():
        record_event("cache_hit", "business_info")
        record_event("cache_hit", "availability")
        record_event("rate_limited", "api")
        record_request(method="GET", route="/api/salons/<slug>/availability/", status=200, seconds=0.01)


def _assert_the_request_with_events_is_in(counters: dict, times: int = 1) -> None:
    assert counters[f"ev{SEP}cache_hit{SEP}availability"] == times
    assert counters[f"ev{SEP}cache_hit{SEP}business_info"] == times
    assert counters[f"ev{SEP}rate_limited{SEP}api"] == times
    assert counters[f"req{SEP}GET{SEP}/api/salons/<slug>/availability/{SEP}200"] == times


def test_a_request_costs_no_round_trip_and_one_flush_writes_many(settings, redis_metrics, sent_packets):
    settings.METRICS_FLUSH_SECONDS = 60  # no background flush during the test
    record_event("warm", "up")  # connects
    sent_packets.clear()

    _a_request_with_events()
    _a_request_with_events()

    assert sent_packets == []
    # This process sees its own requests before they are written.
    _assert_the_request_with_events_is_in(get_store().read()[0], times=2)
    other_process = MetricsStore(redis_metrics, prefix=settings.METRICS_KEY_PREFIX)
    assert f"ev{SEP}rate_limited{SEP}api" not in other_process.read()[0]
    sent_packets.clear()

    get_store().flush()

    assert len(sent_packets) == 1
    _assert_the_request_with_events_is_in(other_process.read()[0], times=2)


def test_the_background_flush_writes_a_request_within_the_interval(settings, redis_metrics):
    settings.METRICS_FLUSH_SECONDS = 0.2
    other_process = MetricsStore(redis_metrics, prefix=settings.METRICS_KEY_PREFIX)

    _a_request_with_events()

    deadline = time.monotonic() + 3
    while f"ev{SEP}rate_limited{SEP}api" not in other_process.read()[0]:
        assert time.monotonic() < deadline, "not written by the background flush"
        time.sleep(0.05)
    _assert_the_request_with_events_is_in(other_process.read()[0])
    minute = int(time.time() // 60)
    per_minute = redis.Redis.from_url(redis_metrics)
    written = sum(int(per_minute.hget(f"{settings.METRICS_KEY_PREFIX}:minute:{m}", "requests") or 0) for m in (minute - 1, minute))
    assert written == 1  # the request rate too


def test_with_no_flush_interval_each_request_is_written_in_one_round_trip(settings, redis_metrics, sent_packets):
    settings.METRICS_FLUSH_SECONDS = 0
    record_event("warm", "up")  # connects
    sent_packets.clear()

    with batched():
        record_event("cache_hit", "availability")
        assert sent_packets == []  # nothing written before the request ends
    _a_request_with_events()

    assert len(sent_packets) == 2
    other_process = MetricsStore(redis_metrics, prefix=settings.METRICS_KEY_PREFIX)
    assert other_process.read()[0][f"ev{SEP}cache_hit{SEP}availability"] == 2


def test_events_outside_a_request_are_written_at_once(settings, redis_metrics, sent_packets):
    """Celery tasks and commands have no request to wait for: each event is written as it comes."""
    record_event("reminder", "sent")  # connects
    sent_packets.clear()

    record_event("reminder", "sent")
    record_event("booking", "created")

    assert len(sent_packets) == 2
    counters = MetricsStore(redis_metrics, prefix=settings.METRICS_KEY_PREFIX).read()[0]
    assert counters[f"ev{SEP}reminder{SEP}sent"] == 2


def test_unwritten_counts_are_written_when_the_store_is_dropped(settings, redis_metrics):
    """What a process exit does (atexit) and a settings change does."""
    settings.METRICS_FLUSH_SECONDS = 60
    _a_request_with_events()

    reset_store()

    _assert_the_request_with_events_is_in(MetricsStore(redis_metrics, prefix=settings.METRICS_KEY_PREFIX).read()[0])


def test_a_request_failing_inside_the_batch_is_still_counted(redis_metrics):
    with pytest.raises(RuntimeError):
        with batched():
            record_event("cache_miss", "availability")
            raise RuntimeError("view blew up")

    counters = get_store().read()[0]
    assert counters[f"ev{SEP}cache_miss{SEP}availability"] == 1


def test_redis_outage_keeps_counting_in_process_and_writes_back_after(spare_redis, redis_traffic):
    store = MetricsStore(spare_redis.url, prefix="sb:test", retry_after=1.0)
    _request(store)
    assert _count(store) == 1

    spare_redis.stop()
    _request(store)  # one failed attempt...
    tried = redis_traffic.to(spare_redis.port)
    for _ in range(49):
        _request(store)
    assert redis_traffic.to(spare_redis.port) == tried  # ...then no Redis calls until the retry time
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
