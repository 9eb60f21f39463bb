"""The hourly slot sweep's cost per staff member, the old full re-read against
the window-end sweep (``slots.sweep``), on the database of ``DATABASE_URL``.

``python -m benchmarks.sweep_cost --salons 200`` builds that many salons of 5
staff (60-day windows, hours 8-20 with a lunch break) into an empty migrated
database, then times, in process:

- ``full``: ``slots_generate()`` over every salon when nothing changed (what
  beat ran every hour before);
- ``steady``: ``slots.sweep`` later the same day: who is short, then every
  batch task (none are due);
- ``new day``: the same a day later, when one day entered every window.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salonbook.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from salons.models import Salon, StaffMember, WorkingHours  # noqa: E402
from slots.models import Slot  # noqa: E402
from slots.services import slots_generate, slots_sync_for_staff  # noqa: E402
from slots.sweep import slots_sweep_salons, sweep_batches  # noqa: E402

STAFF_PER_SALON = 5
WINDOW_DAYS = 60


def build(salons: int, now: dt.datetime) -> int:
    with transaction.atomic():
        created = Salon.objects.bulk_create(
            Salon(
                name=f"Sweep {n}",
                slug=f"sweep-{n}",
                timezone="Europe/London",
                whatsapp_phone="+447911123000",
                booking_window_days=WINDOW_DAYS,
            )
            for n in range(salons)
        )
        staff = StaffMember.objects.bulk_create(
            StaffMember(salon=salon, name=f"Stylist {k}") for salon in created for k in range(STAFF_PER_SALON)
        )
        WorkingHours.objects.bulk_create(
            WorkingHours(
                staff_member=member,
                weekday=weekday,
                start_time=dt.time(8),
                end_time=dt.time(20),
                break_start=dt.time(13),
                break_end=dt.time(14),
            )
            for member in staff
            for weekday in range(7)
        )
    for member in StaffMember.objects.select_related("salon").prefetch_related(
        "working_hours", "days_off", "salon__closures"
    ):
        slots_sync_for_staff(staff_member=member, now=now)
    return len(staff)


def sweep(now: dt.datetime) -> int:
    created = 0
    for salon_ids in sweep_batches(now=now):
        created += slots_sweep_salons(salon_ids=salon_ids, now=now).created
    return created


def timed(label: str, staff: int, run) -> None:
    began = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - began
    print(f"{label:10} {seconds * 1000:9.1f} ms  {seconds * 1000 / staff:7.3f} ms per staff member  ({result})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--salons", type=int, default=200)
    args = parser.parse_args()
    now = timezone.now().replace(hour=6, minute=0, second=0, microsecond=0)
    if Salon.objects.exists():  # built by an earlier run: measured again as it is
        staff = StaffMember.objects.count()
        print(f"reusing {Salon.objects.count()} salons, {staff} staff, {Slot.objects.count()} slots")
    else:
        began = time.perf_counter()
        staff = build(args.salons, now)
        elapsed = time.perf_counter() - began
        print(f"built {args.salons} salons, {staff} staff, {Slot.objects.count()} slots in {elapsed:.0f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    later = now + dt.timedelta(hours=3)
    timed("fill", staff, lambda: slots_generate(now=later))  # a first run may still have days to make
    timed("full", staff, lambda: slots_generate(now=later))
    timed("steady", staff, lambda: sweep(later))
    timed("steady", staff, lambda: sweep(later + dt.timedelta(hours=1)))
    timed("new day", staff, lambda: sweep(now + dt.timedelta(days=1)))
    timed("steady", staff, lambda: sweep(now + dt.timedelta(days=1, hours=1)))


if __name__ == "__main__":
    main()
