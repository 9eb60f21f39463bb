"""The growth benchmark's in-process figures on a built database (run by
``benchmarks.growth`` in the app's environment; prints one JSON line).

Each request goes through Django's test client with the production settings
(middleware, DRF, rate limits counted in Redis), one at a time; a figure is
the best of ``--repeat`` runs after two to warm up, with the median beside
it. On the measured salon (``bench``, 20 staff):

- ``day``: availability of Cut three days ahead, and ``month``: the next
  calendar month, both without the content cache (every read is built);
- ``booking``: a Trim at a free start ten days ahead, created, then
  cancelled by its customer (timed apart), so that the next run takes the
  same start again;
- ``cached day`` and ``business info``: the same reads with the cache, hit
  (the best of ten times ``--repeat``);
- the day's and the month's slot query alone, sent again from Python: the
  part of a read that could grow with the table, and the least disturbed by
  other work on a shared machine.

Then the hourly sweep (``slots.sweep``, as ``benchmarks.sweep_cost`` runs
it) at the current time, where every window is full: who is short, then
each batch of salons; the best of five runs, per active staff member.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salonbook.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from salonbook.cache import invalidate_all  # noqa: E402
from salons.models import Salon, StaffMember  # noqa: E402
from slots.availability import availability_for_day  # noqa: E402
from slots.sweep import short_windows, slots_sweep_salons, sweep_batches  # noqa: E402

SLUG = "bench"
NO_CACHE = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


def best_of(repeat: int, run: Callable[[], object]) -> tuple[float, float]:
    """(best, median) in ms of ``repeat`` runs of ``run`` after two warm-ups."""
    for _ in range(2):
        run()
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        samples.append((time.perf_counter() - began) * 1000)
    return min(samples), statistics.median(samples)


def _get(client: Client, path: str) -> Callable[[], object]:
    def run() -> object:
        answer = client.get(path)
        if answer.status_code != 200:
            raise RuntimeError(f"GET {path}: {answer.status_code} {answer.content[:300]!r}")
        return answer

    return run


def slot_query(client: Client, path: str, repeat: int) -> float:
    """The best time of the request's slot query alone (its last statement),
    sent again as it was: the part of a read that could grow with the table."""
    with CaptureQueriesContext(connection) as queries:
        _get(client, path)()
    sql = queries.captured_queries[-1]["sql"]
    if "slots_slot" not in sql:
        raise RuntimeError(f"the last query of {path} is not the slot query: {sql[:200]}")

    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            cursor.fetchall()

    return best_of(repeat, run)[0]


def bookings(client: Client, salon: Salon, repeat: int) -> dict[str, float]:
    """Create a booking, then cancel it, ``repeat`` times (and two to warm up)."""
    trim = salon.services.get(name="Trim")
    ahead = min(10, salon.booking_window_days - 1)
    day = timezone.localdate(timezone=salon.tz) + dt.timedelta(days=ahead)
    free = availability_for_day(salon=salon, day=day, service=trim)[0]
    rng = random.Random()
    created, cancelled = [], []
    for number in range(repeat + 2):
        body = {
            "salon": salon.slug,
            "service": trim.pk,
            "staff": free.staff_member_id,
            "start": free.start.isoformat(),
            "customer_name": "Growth Test",
            "customer_phone": f"+4479{rng.randrange(10**6):08d}",  # a valid UK mobile, one a booking
        }
        began = time.perf_counter()
        answer = client.post("/api/bookings/", body, content_type="application/json")
        middle = time.perf_counter()
        if answer.status_code != 201:
            raise RuntimeError(f"booking: {answer.status_code} {answer.content[:300]!r}")
        booking = answer.json()
        cancel = client.post(
            f"/api/bookings/{booking['reference']}/cancel/",
            {"reason": ""},
            content_type="application/json",
            HTTP_X_BOOKING_TOKEN=booking["manage_token"],
        )
        ended = time.perf_counter()
        if cancel.status_code != 200:
            raise RuntimeError(f"cancel: {cancel.status_code} {cancel.content[:300]!r}")
        if number >= 2:
            created.append((middle - began) * 1000)
            cancelled.append((ended - middle) * 1000)
    return {
        "booking_ms": min(created),
        "booking_median_ms": statistics.median(created),
        "cancel_ms": min(cancelled),
        "cancel_median_ms": statistics.median(cancelled),
    }


def sweep_figures(runs: int = 5) -> dict[str, float]:
    staff = StaffMember.objects.filter(is_active=True).count()
    totals, finds, due = [], [], 0
    for _ in range(runs):
        now = timezone.now()
        began = time.perf_counter()
        short = short_windows(now=now)
        finds.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        created = 0
        for salon_ids in sweep_batches(now=now):
            created += slots_sweep_salons(salon_ids=salon_ids, now=now).created
        totals.append((time.perf_counter() - began) * 1000)
        if created:
            raise RuntimeError(f"the sweep created {created} slots: the build's windows are not full")
        due = len(short)
    return {
        "sweep_ms": min(totals),
        "sweep_ms_per_staff": min(totals) / staff,
        "sweep_find_short_ms": min(finds),
        "sweep_find_ms_per_staff": min(finds) / staff,
        "sweep_short_staff": due,
        "sweep_staff": staff,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    repeat = args.repeat
    # Another build in this Redis used the same slug for other rows.
    invalidate_all()
    salon = Salon.objects.get(slug=SLUG)
    cut = salon.services.get(name="Cut")
    today = timezone.localdate(timezone=salon.tz)
    day = today + dt.timedelta(days=min(3, salon.booking_window_days - 1))
    month = (today.replace(day=1) + dt.timedelta(days=32)).strftime("%Y-%m")  # next month: every day ahead
    day_path = f"/api/salons/{SLUG}/availability/?date={day.isoformat()}&service={cut.pk}"
    month_path = f"/api/salons/{SLUG}/calendar/?month={month}&service={cut.pk}"
    client = Client(HTTP_HOST="localhost")

    figures: dict[str, float | int | str] = {"day": day.isoformat(), "month": month}
    with override_settings(CACHES=NO_CACHE):
        figures["day_ms"], figures["day_median_ms"] = best_of(repeat, _get(client, day_path))
        figures["month_ms"], figures["month_median_ms"] = best_of(repeat, _get(client, month_path))
        figures["day_query_ms"] = slot_query(client, day_path, repeat)
        figures["month_query_ms"] = slot_query(client, month_path, repeat)
    figures.update(bookings(client, salon, repeat))
    # A cached read takes under a millisecond: ten times the runs, so that a
    # few of them meet a quiet moment on a shared machine.
    figures["cached_day_ms"], figures["cached_day_median_ms"] = best_of(repeat * 10, _get(client, day_path))
    info = f"/api/salons/{SLUG}/"
    figures["business_info_ms"], figures["business_info_median_ms"] = best_of(repeat * 10, _get(client, info))
    figures.update(sweep_figures())
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
