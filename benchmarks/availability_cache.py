"""Cached against uncached availability: does "slot loading 10x faster (cached)" hold?

    .venv/bin/python -m benchmarks.availability_cache [--postgres URL | --sqlite]
        [--redis URL] [--rounds N]

Builds a realistic salon (10 staff, 4 services, 30 days of 15-minute slots,
400 bookings made through the booking service) in a throwaway database it
creates itself (PostgreSQL by default, or SQLite in var/), then times, per
salon-local day and service:

- the function: ``cached_availability`` on a hit against the build it saves
  (what a miss costs: the queries and the JSON-ready list);
- the request: ``GET /api/salons/<slug>/availability/`` through Django's test
  client, with the cache against the same app with a dummy cache, when the
  API is there;
- an outage: the same read with Redis on a closed port, and with a Redis that
  hangs (started here on a spare port, then stopped with SIGSTOP).

The Redis keys it writes carry their own prefix and are deleted at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SLUG = "bench-cache"
SPARE_PORTS = range(6391, 6396)
BENCH_DB = "salonbook_bench_availability_cache"
# The promise: "slot loading 10x faster (cached)", at the function level
# (median hit against median build). The run fails below it.
TARGET_RATIO = 10


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_PG_URL", "postgres://root@127.0.0.1:5432/postgres"),
        help="a PostgreSQL server to create the throwaway database on (any database URL on it)",
    )
    where.add_argument("--sqlite", action="store_true", help="use an SQLite file in var/ instead")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"))
    parser.add_argument("--rounds", type=int, default=5, help="times each day and service is read")
    return parser.parse_args()


def throwaway_database(args: argparse.Namespace) -> str:
    if args.sqlite:
        path = ROOT / "var" / "bench_availability_cache.sqlite3"
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    parts = urlsplit(args.postgres)
    with psycopg.connect(args.postgres, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def setup_django(database_url: str, redis_url: str) -> str:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "salonbook.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            # Production settings: DEBUG would record every query and slow the uncached side.
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "testserver,localhost",
            "LOG_LEVEL": "ERROR",
            # The benchmark is one client asking thousands of times a minute.
            "RATE_LIMIT_API": "1000000/m",
        }
    )
    os.environ.pop("CELERY_BROKER_URL", None)
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    django.setup()
    prefix = f"sb-bench-{os.getpid()}"
    settings.CACHES["default"]["KEY_PREFIX"] = prefix
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return prefix


# --- The salon ---------------------------------------------------------------------


def build_salon(*, bookings: int | None = None, slug: str = SLUG):
    """The benchmark salon (``benchmarks.scale_data``'s, under its own slug;
    imported here, once Django is configured); a test builds it too, so the
    benchmark keeps working as the code changes."""
    from benchmarks import scale_data
    from slots.models import Slot

    salon, services, staff = scale_data.build(slug=slug)
    made = scale_data.book_some(salon, services, staff, bookings=bookings or scale_data.BOOKINGS)
    return salon, list(services.values()), Slot.objects.filter(salon=salon).count(), made


def availability_build(salon_id: int, service_id: int, day: dt.date) -> Callable[[], list[dict]]:
    """What the API builds on a miss: the service and salon, the free starts, as JSON."""
    from django.utils import timezone

    from salons.models import Service
    from slots.availability import availability_for_day

    def build():
        service = Service.objects.select_related("salon").get(pk=service_id, salon_id=salon_id)
        tz = service.salon.tz
        return [
            {
                "start": timezone.localtime(f.start, tz).isoformat(),
                "end": timezone.localtime(f.end, tz).isoformat(),
                "staff": f.staff_member_id,
            }
            for f in availability_for_day(salon=service.salon, day=day, service=service)
        ]

    return build


def cached_read(salon, service_id: int, day: dt.date) -> list[dict]:
    """The day's free starts for everyone, through the availability cache."""
    from slots.cache import cached_availability

    return cached_availability(
        slug=salon.slug,
        day=day,
        service_id=service_id,
        staff_member_id=None,
        build=availability_build(salon.pk, service_id, day),
    )


# --- Timing ------------------------------------------------------------------------------


def timed(call: Callable[[], object]) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median": statistics.median(ordered),
        "p95": ordered[int(0.95 * (len(ordered) - 1))],
        "mean": statistics.fmean(ordered),
        "max": ordered[-1],
        "n": len(ordered),
    }


def ms(value: float) -> str:
    return f"{value * 1000:8.3f} ms"


def report(title: str, rows: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    stats = {name: summary(samples) for name, samples in rows.items()}
    print(f"\n{title}")
    print(f"  {'':34} {'median':>11} {'p95':>11} {'mean':>11} {'max':>11} {'n':>6}")
    for name, s in stats.items():
        print(f"  {name:34} {ms(s['median'])} {ms(s['p95'])} {ms(s['mean'])} {ms(s['max'])} {s['n']:6d}")
    return stats


def function_level(salon, services, days, rounds):
    from slots.cache import availability_invalidate_salon

    combos = [(service.pk, day) for service in services for day in days]

    uncached, misses, hits = [], [], []
    for service_id, day in combos:  # warm-up: connections, code paths
        availability_build(salon.pk, service_id, day)()
        cached_read(salon, service_id, day)
    for _ in range(rounds):
        random.shuffle(combos)
        for service_id, day in combos:
            uncached.append(timed(availability_build(salon.pk, service_id, day)))
        availability_invalidate_salon(salon.pk)
        for service_id, day in combos:
            misses.append(timed(partial(cached_read, salon, service_id, day)))
        for service_id, day in combos:
            hits.append(timed(partial(cached_read, salon, service_id, day)))
    sizes = [len(availability_build(salon.pk, s, d)()) for s, d in combos]
    print(f"\n  {len(combos)} day/service pairs, {statistics.fmean(sizes):.0f} free starts each on average")
    return report(
        "Function: cached_availability, all staff",
        {"uncached (build: SQL + JSON)": uncached, "cached, miss (build + Redis)": misses, "cached, hit": hits},
    )


def request_level(salon, services, days, rounds):
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    client = Client()
    paths = [
        f"/api/salons/{salon.slug}/availability/?date={day.isoformat()}&service={service.pk}"
        for service in services
        for day in days
    ]
    probe = client.get(paths[0])
    if probe.status_code != 200:
        print(f"\nRequest level skipped: {paths[0]} answered {probe.status_code}")
        return None

    def run():
        for path in paths:  # warm-up
            assert client.get(path).status_code == 200
        samples = []
        for _ in range(rounds):
            random.shuffle(paths)
            for path in paths:
                samples.append(timed(partial(client.get, path)))
        return samples

    cached = run()
    no_cache = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with override_settings(CACHES=no_cache):
        uncached = run()
    return report(
        "Request: GET /api/salons/<slug>/availability/ through the test client",
        {"uncached (dummy cache)": uncached, "cached (Redis)": cached},
    )


def _closed(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def outage_level(salon, services, days):
    """What a read costs while Redis is refused, or hangs."""
    from django.conf import settings
    from django.test.utils import override_settings

    from salonbook.settings import redis_caches

    combos = [(service.pk, day) for service in services for day in days]

    rows: dict[str, list[float]] = {}
    waited: dict[str, int] = {}

    def traffic(name: str | None, seconds: float) -> None:
        """Reads for ``seconds``, each paired with a plain build of the same
        day: what the outage adds to a read, under the same machine load."""
        added, timeouts, deadline = [], 0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            service_id, day = random.choice(combos)
            plain = timed(availability_build(salon.pk, service_id, day))
            took = timed(partial(cached_read, salon, service_id, day))
            added.append(took - plain)
            timeouts += took >= 0.25  # SOCKET_TIMEOUT
        if name:
            rows[name], waited[name] = added, timeouts

    free = [port for port in SPARE_PORTS if _closed(port)]
    closed = {**settings.CACHES, "default": redis_caches(f"redis://127.0.0.1:{free[0]}/0")["default"]}
    with override_settings(CACHES=closed, CACHE_RETRY_AFTER=0.0):
        traffic("closed port, Redis tried every read", 3.0)
    with override_settings(CACHES=closed):
        traffic("closed port, 1 s skip after a failure", 3.0)

    if shutil.which("redis-server") and len(free) > 1:
        port = free[1]
        server = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        try:
            time.sleep(0.3)
            hung = {**settings.CACHES, "default": redis_caches(f"redis://127.0.0.1:{port}/0")["default"]}
            with override_settings(CACHES=hung):
                traffic(None, 0.5)  # entries in the soon-hung Redis
                server.send_signal(signal.SIGSTOP)
                with override_settings(CACHE_RETRY_AFTER=0.0):
                    traffic("hung Redis, Redis tried every read", 3.0)
                traffic("hung Redis, 1 s skip after a failure", 3.0)
        finally:
            server.send_signal(signal.SIGCONT)
            server.terminate()
            server.wait()
    stats = report("Outage: time a read adds over a plain build of the same day (paired)", rows)
    for name, samples in rows.items():
        print(f"  {name}: {waited[name]} of {len(samples)} reads waited for the 0.25 s timeout")
    return stats


def main() -> None:
    args = parse_args()
    database_url = throwaway_database(args)
    prefix = setup_django(database_url, args.redis)
    from django.db import connection
    from django.utils import timezone

    from benchmarks.scale_data import DAYS, STAFF

    began = time.perf_counter()
    salon, services, slots, bookings = build_salon()
    print(
        f"Salon built in {time.perf_counter() - began:.1f} s on {connection.vendor}: {STAFF} staff, "
        f"{len(services)} services, {slots} slots over {DAYS} days, {bookings} bookings; Redis {args.redis}"
    )
    today = timezone.localdate(timezone=salon.tz)
    days = [today + dt.timedelta(days=n) for n in range(1, DAYS - 1)]

    function = function_level(salon, services, days, args.rounds)
    function_ratio = function["uncached (build: SQL + JSON)"]["median"] / function["cached, hit"]["median"]
    print(f"\n  cached hit vs uncached build, median: {function_ratio:.1f}x faster (target {TARGET_RATIO}x)")
    request = request_level(salon, services, days, args.rounds)
    if request:
        ratio = request["uncached (dummy cache)"]["median"] / request["cached (Redis)"]["median"]
        print(f"\n  cached request vs uncached request, median: {ratio:.1f}x faster")
    outage_level(salon, services, days)

    from django_redis import get_redis_connection

    client = get_redis_connection("default")
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    connection.close()
    if not args.sqlite:
        import psycopg

        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    if function_ratio < TARGET_RATIO:
        sys.exit(f"FAIL: a cached hit is {function_ratio:.1f}x faster than a build, under the {TARGET_RATIO}x promised")


if __name__ == "__main__":
    main()
