"""Build the benchmark salon: 10 staff, 30 days of slots, hundreds of bookings.

Run inside the app's environment (``python -m benchmarks.scale_data OUT``):
it writes to OUT one JSON body per line for ``POST /api/bookings/``, each for
a different free start, so the booking benchmark never asks twice for one slot.
``benchmarks.availability_cache`` builds its salon with ``build`` and
``book_some`` too, after configuring Django its own way.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salonbook.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bookings.models import Booking  # noqa: E402
from bookings.services import Actor, BookingRequest, Customer, booking_create  # noqa: E402
from salonbook.errors import DomainError  # noqa: E402
from salons.models import Salon, Service, StaffMember, WorkingHours  # noqa: E402
from slots.availability import availability_for_day  # noqa: E402
from slots.models import Slot  # noqa: E402
from slots.services import slots_generate  # noqa: E402

SLUG = "bench"
STAFF = 10
DAYS = 30
BOOKINGS = 400
SERVICES = [("Cut", 30, 15), ("Colour", 90, 15), ("Trim", 15, 0), ("Blow Dry", 30, 0)]


def build(
    *, slug: str = SLUG, staff_count: int = STAFF, days: int = DAYS
) -> tuple[Salon, dict[str, Service], list[StaffMember]]:
    """The salon, its services and ``staff_count`` staff, and their slots for ``days`` days."""
    # Raw creation is fine here: a throwaway database, rebuilt on every run.
    with transaction.atomic():
        salon = Salon.objects.create(
            name="Benchmark Salon",
            slug=slug,
            timezone="Europe/London",
            whatsapp_phone="+447911123000",
            booking_window_days=days,
            cancellation_cutoff_hours=2,
            auto_confirm=True,
        )
        services = {
            name: Service.objects.create(
                salon=salon, name=name, duration_minutes=m, buffer_minutes=b, price=Decimal("30")
            )
            for name, m, b in SERVICES
        }
        staff = []
        for n in range(staff_count):
            member = StaffMember.objects.create(salon=salon, name=f"Stylist {n + 1}")
            member.services.set(services.values())
            for weekday in range(7):
                WorkingHours.objects.create(
                    staff_member=member,
                    weekday=weekday,
                    start_time=dt.time(8),
                    end_time=dt.time(20),
                    break_start=dt.time(13),
                    break_end=dt.time(14),
                )
            staff.append(member)
    slots_generate(salon=salon, days=days)
    return salon, services, staff


def book_some(salon: Salon, services: dict[str, Service], staff: list[StaffMember], *, bookings: int = BOOKINGS) -> int:
    """Book ``bookings`` random free starts through the booking service."""
    rng = random.Random(7)
    slots = list(Slot.objects.filter(salon=salon, status="available").values_list("staff_member_id", "start"))
    rng.shuffle(slots)
    by_id = {m.pk: m for m in staff}
    made = 0
    for staff_id, start in slots:
        if made >= bookings:
            break
        service = rng.choice([services["Cut"], services["Colour"], services["Blow Dry"]])
        try:
            booking_create(
                request=BookingRequest(
                    salon=salon,
                    service=service,
                    staff_member=by_id[staff_id],
                    start=start,
                    customer=Customer(f"Customer {made}", f"+4479111{made % 100000:05d}"),
                ),
                actor=Actor.system(),
            )
            made += 1
        except DomainError:
            continue
    return made


def free_start_bodies(salon: Salon, service: Service, *, days: int = DAYS) -> list[dict]:
    today = timezone.localdate(timezone=salon.tz)
    bodies: list[dict] = []
    for offset in range(1, days):
        for free in availability_for_day(salon=salon, day=today + dt.timedelta(days=offset), service=service):
            bodies.append(
                {
                    "salon": salon.slug,
                    "service": service.pk,
                    "staff": free.staff_member_id,
                    "start": free.start.isoformat(),
                    "customer_name": "Load Test",
                    # One customer a booking, as the salon's per-phone limit expects.
                    "customer_phone": f"+4479{len(bodies):08d}",
                }
            )
    return bodies


def main(out: str, *, staff_count: int = STAFF, days: int = DAYS, bookings: int = BOOKINGS) -> None:
    salon, services, staff = build(staff_count=staff_count, days=days)
    made = book_some(salon, services, staff, bookings=bookings)
    bodies = free_start_bodies(salon, services["Trim"], days=days)
    with open(out, "w") as handle:
        for body in bodies:
            handle.write(json.dumps(body) + "\n")
    summary = {
        "salon": SLUG,
        "staff": len(staff),
        "slots": Slot.objects.filter(salon=salon).count(),
        "bookings": Booking.objects.filter(salon=salon).count(),
        "made_now": made,
        "free_bodies": len(bodies),
        "service_ids": {name: s.pk for name, s in services.items()},
        "staff_ids": [m.pk for m in staff],
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    # python -m benchmarks.scale_data OUT [STAFF DAYS BOOKINGS]
    sizes = [int(arg) for arg in sys.argv[2:5]]
    main(sys.argv[1], **dict(zip(("staff_count", "days", "bookings"), sizes)))
