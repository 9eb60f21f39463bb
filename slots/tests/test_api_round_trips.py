"""The budget of ``salonbook.api.cached_reads``: a cached availability or
business-info read costs one round trip to Redis and no SQL. The rate-limit
counter (one script) and the cache entries with their version keys (one MGET)
go in one pipeline; its metrics go with the process's next background flush.
This is the one place the budget is counted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from salonbook.settings import redis_caches

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


def _kinds(packets: list[bytes]) -> list[list[str]]:
    """What each round trip carried."""
    return [
        [kind for kind, command in (("rate limit", b"EVAL"), ("cache", b"MGET"), ("metrics", b"HINCRBY")) if command in packet]
        for packet in packets
    ]


def _availability_url(service) -> str:
    day = timezone.localdate(timezone=service.salon.tz) + dt.timedelta(days=1)
    return f"/api/salons/{service.salon.slug}/availability/?date={day.isoformat()}&service={service.pk}"


def test_cached_availability_read_is_one_round_trip_and_no_sql(
    on_redis, service, staff_member, sent_packets, django_assert_num_queries
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
    on_redis, service, staff_member, sent_packets, django_assert_num_queries
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


def test_entries_another_process_cached_are_read_in_one_round_trip(
    on_redis, service, staff_member, sent_packets, django_assert_num_queries
):
    """Every key a read needs comes from the request itself: a process that has
    never served this salon reads what another process cached, in one round
    trip, with nothing to learn first."""
    from salonbook.api.cached_reads import rendered
    from salons.cache import business_info
    from slots.api import _build_free_starts
    from slots.cache import cached_availability

    salon = service.salon
    day = timezone.localdate(timezone=salon.tz) + dt.timedelta(days=1)
    # Cached the way another process's view caches them, not through this process's view.
    business_info(salon.slug)
    cached_availability(
        slug=salon.slug,
        day=day,
        service_id=service.pk,
        staff_member_id=None,
        build=rendered(
            lambda: {
                "date": day.isoformat(),
                "timezone": salon.timezone,
                "service": service.pk,
                "staff": None,
                "slots": _build_free_starts(salon_id=salon.pk, service_id=service.pk, day=day, staff_member_id=None),
            }
        ),
    )
    sent_packets.clear()

    with django_assert_num_queries(0):
        response = APIClient().get(_availability_url(service))

    assert response.status_code == 200 and response.json()["slots"]
    assert _kinds(sent_packets) == [["rate limit", "cache"]]


def test_a_redis_that_lost_the_counting_script_still_counts(on_redis, redis_url, service, settings):
    import redis

    settings.RATE_LIMIT_API = "2/m"
    client = APIClient()
    url = _availability_url(service)
    assert client.get(url).status_code == 200
    redis.Redis.from_url(redis_url).script_flush()  # as a restarted Redis

    assert [client.get(url).status_code for _ in range(2)] == [200, 429]


def test_a_bad_query_is_still_counted_and_reads_only_the_business_info(
    on_redis, service, staff_member, sent_packets, django_assert_num_queries
):
    url = f"/api/salons/{service.salon.slug}/availability/?date=not-a-day&service={service.pk}"
    assert APIClient().get(url).status_code == 400  # caches the business info
    sent_packets.clear()

    with django_assert_num_queries(0):
        assert APIClient().get(url).status_code == 400

    assert _kinds(sent_packets) == [["rate limit", "cache"]]


def test_with_the_cache_skipped_after_a_failure_the_count_still_happens(on_redis, service, settings, monkeypatch):
    from salonbook import cache

    settings.RATE_LIMIT_API = "1/m"
    url = _availability_url(service)
    monkeypatch.setattr(cache._health, "skip_until", float("inf"))  # as after a failed call
    assert [APIClient().get(url).status_code for _ in range(2)] == [200, 429]
