"""What an uncached visit day costs against a single-service day, in one run.

    python -m benchmarks.visit_cost [--staff 20] [--rounds 30] [--sqlite]

Builds the benchmark salon (``benchmarks.scale_data``: 20 staff who do every
service, 30 days of slots, 400 bookings) in a throwaway PostgreSQL database,
gives its Colour a processing phase (30 minutes in, for 30) and a resource
of two colour stations, books visits of colour then cut, then times in
process, for the same days: a day of Cut (the single-service read), a day
of Colour (one part, with processing and a resource), and days of the visits
Colour + Cut and Colour + Cut + Blow Dry with anyone. Each figure is the
median of ``--rounds`` reads; the ratio is against the Cut day. The target:
a visit day within 2x of a single-service day.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time

from benchmarks.availability_cache import setup_django, throwaway_database
from benchmarks.harness import OUT

TARGET = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--staff", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    database = throwaway_database(
        argparse.Namespace(sqlite=args.sqlite, postgres="postgres://root@127.0.0.1:5432/postgres")
    )
    setup_django(database, "redis://127.0.0.1:6379/12")

    from django.utils import timezone

    from benchmarks import scale_data
    from bookings.booking_plans import PartChoice, booking_visit_create
    from bookings.services import Actor, Customer
    from resources.models import Resource
    from resources.services import resource_save
    from salonbook.errors import DomainError
    from slots.availability import availability_for_day
    from slots.visits import PartAsk, free_visits

    salon, services, staff = scale_data.build(slug="bench-visits", staff_count=args.staff)
    scale_data.book_some(salon, services, staff, bookings=scale_data.BOOKINGS)
    colour, cut, blow_dry = services["Colour"], services["Cut"], services["Blow Dry"]
    colour.processing_after_minutes, colour.processing_minutes = 30, 30
    colour.save()
    resource_save(resource=Resource(salon=salon, name="Colour station", quantity=2), services=[colour])
    now = timezone.now()
    days = [timezone.localdate(timezone=salon.tz) + dt.timedelta(days=n) for n in range(1, 8)]
    made = 0
    for n, day in enumerate(days * 3):
        start = dt.datetime.combine(day, dt.time(9 + n % 8), tzinfo=salon.tz)
        try:
            booking_visit_create(
                salon=salon,
                start=start,
                parts=[PartChoice(colour), PartChoice(cut)],
                customer=Customer("Visit", f"+4479110{n:05d}"),
                actor=Actor.staff(None),
                now=now,
            )
            made += 1
        except DomainError:
            pass

    def median_ms(read) -> float:
        samples = []
        for _ in range(args.rounds):
            for day in days:
                began = time.perf_counter()
                read(day)
                samples.append((time.perf_counter() - began) * 1000)
        return statistics.median(samples)

    rows = {
        "Cut (single service)": median_ms(lambda day: availability_for_day(salon=salon, day=day, service=cut, now=now)),
        "Colour (processing and a resource)": median_ms(
            lambda day: availability_for_day(salon=salon, day=day, service=colour, now=now)
        ),
        "Colour + Cut, anyone": median_ms(
            lambda day: free_visits(salon=salon, first_day=day, days=1, asks=[PartAsk(colour), PartAsk(cut)], now=now)
        ),
        "Colour + Cut + Blow Dry, anyone": median_ms(
            lambda day: free_visits(
                salon=salon, first_day=day, days=1, asks=[PartAsk(colour), PartAsk(cut), PartAsk(blow_dry)], now=now
            )
        ),
    }
    single = rows["Cut (single service)"]
    print(f"{args.staff} staff, {made} visits booked, median of {args.rounds} x {len(days)} uncached day reads")
    result = {}
    for name, value in rows.items():
        ratio = value / single
        result[name] = {"median_ms": round(value, 2), "ratio": round(ratio, 2)}
        print(f"  {name:40} {value:7.2f} ms  {ratio:4.2f}x")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "visit_cost.json").write_text(json.dumps(result, indent=2))
    worst = max(value["ratio"] for value in result.values())
    if worst > TARGET:
        raise SystemExit(f"a visit day costs {worst:.2f}x a single-service day (target: within {TARGET}x)")


if __name__ == "__main__":
    main()
