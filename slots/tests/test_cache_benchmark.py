"""The promise "slot loading 10x faster (cached)", checked on every CI run with
the benchmark's salon: 10 staff, 30 days of slots, bookings among them."""

from __future__ import annotations

import datetime as dt
import statistics
import time

import pytest
from django.utils import timezone

from benchmarks.availability_cache import availability_build, build_salon, cached_read
from salonbook.settings import redis_caches

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_cached_availability_is_at_least_ten_times_faster_than_building_it(redis_url, settings):
    settings.CACHES = {**settings.CACHES, "default": redis_caches(redis_url)["default"]}
    salon, services, slots, bookings = build_salon(bookings=150)
    assert slots > 12000 and bookings == 150
    today = timezone.localdate(timezone=salon.tz)
    pairs = [(service.pk, today + dt.timedelta(days=n)) for service in services[:2] for n in range(1, 29)]

    built, hits = [], []
    for service_id, day in pairs:
        began = time.perf_counter()
        fresh = availability_build(salon.pk, service_id, day)()
        built.append(time.perf_counter() - began)
        assert cached_read(salon, service_id, day) == fresh  # the miss stores it
        began = time.perf_counter()
        assert cached_read(salon, service_id, day) == fresh
        hits.append(time.perf_counter() - began)

    ratio = statistics.median(built) / statistics.median(hits)
    print(
        f"availability: built {statistics.median(built) * 1000:.2f} ms, "
        f"cached {statistics.median(hits) * 1000:.3f} ms, {ratio:.0f}x"
    )
    assert ratio >= 10
