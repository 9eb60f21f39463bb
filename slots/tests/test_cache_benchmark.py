"""The availability cache benchmark (``benchmarks/availability_cache.py``)
measures what it says: its salon builds with today's code, and the read it
times as a hit is a hit that gives back what a build gives. How much faster
the hit is, is the benchmark's to say, not the suite's (a ratio of wall-clock
times depends on the machine's load)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from benchmarks.availability_cache import availability_build, build_salon, cached_read
from benchmarks.scale_data import DAYS, STAFF
from salonbook.events import cache_accessed

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_benchmark_salon_builds_and_its_timed_hit_serves_the_build():
    salon, services, slots, bookings = build_salon(bookings=150)
    assert bookings == 150 and salon.staff.count() == STAFF
    assert slots > 12000  # a month of 15-minute slots for every staff member
    today = timezone.localdate(timezone=salon.tz)
    hits = []

    def listen(sender, *, kind, hit, **kwargs):
        hits.append(hit)

    cache_accessed.connect(listen)
    try:
        for service in services[:2]:
            for day in (today + dt.timedelta(days=1), today + dt.timedelta(days=DAYS - 2)):
                fresh = availability_build(salon.pk, service.pk, day)()
                assert fresh  # a day with free starts, as the benchmark reads
                assert cached_read(salon, service.pk, day) == fresh  # the miss stores it
                assert cached_read(salon, service.pk, day) == fresh
    finally:
        cache_accessed.disconnect(listen)
    assert hits == [False, True] * 4
