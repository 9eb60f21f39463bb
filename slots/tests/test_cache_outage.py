"""Without Redis, or with Redis going down mid-traffic, every read answers from
the database, quickly; caching comes back by itself; and nothing invalidated
during the outage is served stale afterwards."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
from django.core.cache import caches
from django.utils import timezone

from bookings.tests.factories import make_booking, next_local
from salonbook.events import cache_accessed
from salonbook.settings import redis_caches
from salons.models import Salon, Service
from slots.availability import availability_for_day
from slots.cache import cached_availability

pytestmark = pytest.mark.django_db

# Long enough that the reads a test makes while Redis is skipped all fall
# inside the skip, however loaded the machine.
RETRY_AFTER = 1.0


@pytest.fixture
def spare_redis(spare_redis, settings):
    """The content cache on a Redis of the test's own."""
    settings.CACHE_RETRY_AFTER = RETRY_AFTER
    settings.CACHES = {**settings.CACHES, "default": redis_caches(spare_redis.url)["default"]}
    return spare_redis


@pytest.fixture
def dead_port_cache(settings, dead_redis_url):
    """The app pointed at a port where nothing listens."""
    settings.CACHE_RETRY_AFTER = RETRY_AFTER
    settings.CACHES = {**settings.CACHES, "default": redis_caches(dead_redis_url)["default"]}
    return caches["default"]


class Reader:
    """Availability of one day, read the way the API reads it, and whether
    each read was a hit."""

    def __init__(self, service: Service, day: dt.date) -> None:
        self.service, self.day = service, day
        self.hits: list[bool] = []

    def build(self) -> list[str]:
        salon = Salon.objects.get(pk=self.service.salon_id)
        service = Service.objects.get(pk=self.service.pk)
        return [f.start.isoformat() for f in availability_for_day(salon=salon, day=self.day, service=service)]

    def __call__(self) -> list[str]:
        def listen(sender, *, hit, **kwargs):
            self.hits.append(hit)

        cache_accessed.connect(listen)
        try:
            return cached_availability(
                slug=self.service.salon.slug,
                day=self.day,
                service_id=self.service.pk,
                staff_member_id=None,
                build=self.build,
            )
        finally:
            cache_accessed.disconnect(listen)


@pytest.fixture
def reader(service, staff_member):
    day = timezone.localdate(timezone=service.salon.tz) + dt.timedelta(days=1)
    return Reader(service, day)


def book(service, staff_member, hour: int, capture):
    start = next_local(service.salon, at=dt.time(hour))
    with capture(execute=True):
        make_booking(service=service, staff_member=staff_member, start=start)
    return start.isoformat()


def test_without_a_cache_every_read_answers_from_the_database(
    settings, reader, service, staff_member, django_capture_on_commit_callbacks
):
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    first = reader()
    taken = book(service, staff_member, 10, django_capture_on_commit_callbacks)
    assert taken in first and taken not in reader()
    assert reader.hits == [False, False]


def test_closed_port_every_read_answers_from_the_database_at_once(
    dead_port_cache, reader, service, staff_member, django_capture_on_commit_callbacks, redis_traffic, dead_redis_url
):
    answers = [reader()]
    port = urlsplit(dead_redis_url).port
    tried = redis_traffic.to(port)
    answers += [reader() for _ in range(4)]
    taken = book(service, staff_member, 10, django_capture_on_commit_callbacks)  # its invalidation fails too
    answers.append(reader())
    skipped = redis_traffic.to(port) == tried
    time.sleep(RETRY_AFTER)
    answers.append(reader())  # tries Redis again, refused again

    assert all(a == answers[0] for a in answers[:5]) and taken in answers[0]
    assert taken not in answers[5] and answers[6] == answers[5] == reader.build()
    assert not any(reader.hits)
    # Tried once, then left alone until the retry time, then tried again.
    assert tried > 0 and skipped and redis_traffic.to(port) > tried


def test_redis_stopped_mid_traffic_then_restarted(
    spare_redis,
    reader,
    service,
    staff_member,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
    redis_traffic,
):
    before = reader()
    reader()
    assert reader.hits == [False, True]

    spare_redis.stop()
    during = [reader()]  # finds Redis gone...
    tried = redis_traffic.to(spare_redis.port)
    during += [reader() for _ in range(2)]
    taken = book(service, staff_member, 10, django_capture_on_commit_callbacks)
    during.append(reader())
    assert redis_traffic.to(spare_redis.port) == tried  # ...and leaves it alone until the retry time
    assert during[:3] == [before] * 3
    assert taken in before and taken not in during[3] and during[3] == reader.build()
    assert reader.hits[2:] == [False] * 4

    spare_redis.start()  # empty, as a restarted Redis without persistence is
    time.sleep(RETRY_AFTER)
    after = reader()
    with django_assert_num_queries(0):
        again = reader()
    assert after == again == during[3]
    assert reader.hits[-2:] == [False, True]  # caching is back, no restart of the app


def test_hung_redis_that_kept_its_data_never_serves_what_changed_meanwhile(
    spare_redis,
    reader,
    service,
    staff_member,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
    redis_traffic,
):
    """The trap with IGNORE_EXCEPTIONS: the invalidation sent while Redis hung is
    lost, and Redis still holds the old entry when it answers again."""
    before = reader()
    reader()
    assert reader.hits == [False, True]

    spare_redis.hang()
    first_during = reader()  # waits for the read timeout once...
    tried = redis_traffic.to(spare_redis.port)
    rest_during = [reader() for _ in range(5)]  # ...then skips Redis for a while
    taken = book(service, staff_member, 10, django_capture_on_commit_callbacks)
    skipped = redis_traffic.to(spare_redis.port) == tried
    time.sleep(RETRY_AFTER)
    after_change = reader()  # tries Redis again: another timeout
    assert first_during == before and rest_during == [before] * 5
    assert taken in before and taken not in after_change
    assert skipped and redis_traffic.to(spare_redis.port) > tried

    spare_redis.resume()
    time.sleep(RETRY_AFTER)
    recovered = reader()
    with django_assert_num_queries(0):
        cached_again = reader()
    assert taken not in recovered and recovered == cached_again == reader.build()
    assert reader.hits[-2:] == [False, True]


def test_a_content_cache_on_a_dead_port_reads_as_empty_and_never_raises(dead_content_cache):
    dead_content_cache.set("anything", 1)
    assert dead_content_cache.get("anything") is None


def test_the_socket_a_cache_read_waits_on_gives_up_within_a_quarter_second(redis_content_cache):
    redis_content_cache.set("probe", 1)
    pool = redis_content_cache.client.get_client().connection_pool
    connection = pool.get_connection()
    try:
        assert 0 < connection._sock.gettimeout() <= 0.25
    finally:
        pool.release(connection)


def test_a_longer_redis_timeout_is_refused_at_start_up():
    from pathlib import Path

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parents[2],
        env={**{k: v for k, v in os.environ.items() if k != "DEBUG"}, "REDIS_TIMEOUT": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "REDIS_TIMEOUT must be above 0 and at most 0.25 seconds" in result.stderr


def test_an_entry_in_an_unknown_shape_is_rebuilt_not_served():
    """An entry another release wrote in another shape is a miss, not a 500."""
    from salonbook.cache import cached

    def read(value):
        return cached(kind="availability", key="av:test", versions=["av:v:test"], ttl=60, build=lambda: value)

    assert read(["first"]) == ["first"]
    caches["default"].set("av:test", "an older format", 60)
    assert read(["rebuilt"]) == ["rebuilt"]
    assert read(["not again"]) == ["rebuilt"]
