"""A cached read costs one round trip to Redis, and no SQL: the rate-limit
counter (one script) and the cache entries with their version keys (one MGET)
go in one pipeline. Its metrics go with the process's next background flush."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from monitoring.metrics import store as metrics
from salonbook.settings import redis_caches

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


@pytest.fixture
def all_on_redis(settings, redis_url):
    settings.CACHES = redis_caches(redis_url)
    settings.METRICS_REDIS_URL = redis_url
    settings.METRICS_FLUSH_SECONDS = 60  # no background flush during the test
    metrics.reset_store()
    yield
    metrics.reset_store()


def _kinds(packets: list[bytes]) -> list[list[str]]:
    """What each round trip carried."""
    return [
        [kind for kind, command in (("rate limit", b"EVALSHA"), ("cache", b"MGET"), ("metrics", b"HINCRBY")) if command in packet]
        for packet in packets
    ]


def _availability_url(service) -> str:
    day = timezone.localdate(timezone=service.salon.tz) + dt.timedelta(days=1)
    return f"/api/salons/{service.salon.slug}/availability/?date={day.isoformat()}&service={service.pk}"


def test_cached_availability_read_is_one_round_trip_and_no_sql(
    all_on_redis, service, staff_member, sent_packets, django_assert_num_queries
):
    client = APIClient()
    url = _availability_url(service)
    assert client.get(url).status_code == 200  # builds the entries, connects, loads the script
    sent_packets.clear()

    with django_assert_num_queries(0):
        response = client.get(url)

    assert response.status_code == 200 and response.json()["slots"]
    assert "sessionid" not in response.cookies
    assert _kinds(sent_packets) == [["rate limit", "cache"]]


def test_cached_business_info_read_is_one_round_trip_and_no_sql(
    all_on_redis, service, staff_member, sent_packets, django_assert_num_queries
):
    client = APIClient()
    url = f"/api/salons/{service.salon.slug}/"
    expected = client.get(url).json()
    sent_packets.clear()

    with django_assert_num_queries(0):
        response = client.get(url)

    assert response.json() == expected and expected["services"][0]["id"] == service.pk
    assert response["Content-Type"] == "application/json"
    assert _kinds(sent_packets) == [["rate limit", "cache"]]


def test_with_the_cache_on_another_redis_the_read_follows_the_count(
    settings, redis_url, service, staff_member, sent_packets
):
    import redis

    other_db = redis_url.rsplit("/", 1)[0] + "/14"
    redis.Redis.from_url(other_db).flushdb()
    settings.CACHES = {**redis_caches(other_db), "ratelimit": redis_caches(redis_url)["ratelimit"]}
    client = APIClient()
    url = _availability_url(service)
    expected = client.get(url).json()
    sent_packets.clear()

    assert client.get(url).json() == expected
    assert _kinds(sent_packets) == [["rate limit"], ["cache"]]


def test_a_redis_that_lost_the_counting_script_gets_it_again(all_on_redis, redis_url, service, settings):
    import redis

    settings.RATE_LIMIT_API = "2/m"
    client = APIClient()
    url = _availability_url(service)
    assert client.get(url).status_code == 200
    redis.Redis.from_url(redis_url).script_flush()  # as a restarted Redis

    assert [client.get(url).status_code for _ in range(2)] == [200, 429]


def _mgets(packets: list[bytes]) -> int:
    return sum(1 for packet in packets if b"MGET" in packet)


def test_a_wrong_salon_id_guess_costs_a_read_not_a_wrong_answer(
    all_on_redis, service, staff_member, sent_packets, monkeypatch
):
    from slots import api as slots_api

    client = APIClient()
    day = timezone.localdate(timezone=service.salon.tz) + dt.timedelta(days=1)
    url = f"/api/salons/{service.salon.slug}/availability/?date={day.isoformat()}&service={service.pk}"
    expected = client.get(url).json()
    monkeypatch.setitem(slots_api._salon_ids, service.salon.slug, service.salon.pk + 1000)
    sent_packets.clear()

    assert client.get(url).json() == expected
    assert _mgets(sent_packets) == 2  # the guessed entry, then the right one
    assert slots_api._salon_ids[service.salon.slug] == service.salon.pk  # and it learnt


def test_an_invalidation_inside_a_prefetch_makes_the_next_read_go_to_redis(all_on_redis):
    from salonbook.cache import cached, invalidate, prefetch

    builds = []

    def build():
        builds.append(1)
        return len(builds)

    def read():
        return cached(kind="test", key="t:entry", versions=["t:v"], ttl=60, build=build)

    assert read() == 1
    with prefetch([("t:entry", ["t:v"])]):
        invalidate(["t:v"])
        assert read() == 2  # not the entry prefetched before the change


def test_a_prefetched_entry_answers_one_read(all_on_redis, sent_packets):
    from salonbook.cache import cached, prefetch

    def read():
        return cached(kind="test", key="t:once", versions=["t:v"], ttl=60, build=lambda: "built")

    read()
    sent_packets.clear()
    with prefetch([("t:once", ["t:v"]), ("t:unused", ["t:v"])]):
        assert read() == "built"
        assert _mgets(sent_packets) == 1
        assert read() == "built"
        assert _mgets(sent_packets) == 2  # the second read reads again
