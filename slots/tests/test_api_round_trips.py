"""A cached availability read costs three round trips to Redis, and no SQL:
the rate-limit counter (one script), the cache entries with their version keys
(one MGET) and the request's metrics with its events (one pipeline)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from redis.connection import Connection
from rest_framework.test import APIClient

from monitoring import metrics
from salonbook.settings import redis_caches

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


@pytest.fixture
def all_on_redis(settings, redis_url):
    settings.CACHES = redis_caches(redis_url)
    settings.METRICS_REDIS_URL = redis_url
    metrics.reset_store()
    yield
    metrics.reset_store()


@pytest.fixture
def sent_packets(monkeypatch):
    sent: list[bytes] = []
    original = Connection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(command if isinstance(command, bytes) else b"".join(command))
        return original(self, command, check_health)

    monkeypatch.setattr(Connection, "send_packed_command", counting)
    return sent


def test_cached_availability_read_is_three_round_trips_and_no_sql(
    all_on_redis, service, staff_member, sent_packets, django_assert_num_queries
):
    client = APIClient()
    day = timezone.localdate(timezone=service.salon.tz) + dt.timedelta(days=1)
    url = f"/api/salons/{service.salon.slug}/availability/?date={day.isoformat()}&service={service.pk}"
    assert client.get(url).status_code == 200  # builds the entries, connects, loads the script
    sent_packets.clear()

    with django_assert_num_queries(0):
        response = client.get(url)

    assert response.status_code == 200 and response.json()["slots"]
    assert "sessionid" not in response.cookies
    kinds = sorted(
        "rate limit" if b"EVALSHA" in packet else "metrics" if b"HINCRBY" in packet else "cache" if b"MGET" in packet else packet.decode(errors="replace")[:40]
        for packet in sent_packets
    )
    assert kinds == ["cache", "cache", "metrics", "rate limit"]
