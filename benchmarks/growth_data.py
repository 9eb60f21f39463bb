"""Build the growth benchmark's salons: the measured 20-staff salon, then
N - 1 salons of 5 staff, into a migrated, empty database.

Run inside the app's environment::

    python -m benchmarks.growth_data build --salons N [--days 60]
    python -m benchmarks.growth_data top-up          # a reused build, days later

The measured salon is the one ``benchmarks/run scale`` measures
(``benchmarks.scale_data``: 20 staff, four services, 08:00-20:00 with a lunch
break every day, 800 bookings through ``booking_create``), built through the
services as a salon is. The others are written in bulk, in the project's
own row shape, a chunk of salons per transaction:

- salons, services (the same four), staff and working hours through
  ``bulk_create``: 09:00-19:00 with a lunch break 13:00-14:00, six days a
  week, each staff member off on a different weekday;
- slots with one ``INSERT ... SELECT generate_series(...)`` per chunk, from
  the working hours in the database, as ``slots.services.local_starts``
  makes them (15-minute slots on the salon's wall clock, stored in UTC);
- bookings of a 30-minute service with a 15-minute buffer (three slots
  held), dense in the first week, sparser further out (about 9% of slots
  booked, a quarter in the first week), each with what ``booking_create``
  writes: its holds, its slots marked booked, two history rows, and the
  confirmation and two reminders in the outbox.

Foreign keys are not checked row by row while the bulk rows go in
(``session_replication_role = replica``: the ids come from the rows just
written); unique, check and exclusion constraints are. A finished build
writes a row to ``benchmark_growth_build``, so a later run reuses it; the
days that came into the window since are added by ``top-up`` with the same
statement (slots only).

Progress goes to stdout; the last line is a JSON summary.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
import zoneinfo
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salonbook.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Max, Min  # noqa: E402

from benchmarks import scale_data  # noqa: E402
from salons.models import Salon, Service, StaffMember, WorkingHours  # noqa: E402

MEASURED_STAFF, MEASURED_BOOKINGS = 20, 800
STAFF_PER_SALON = 5
ZONE = "Europe/London"
CHUNK = 50  # salons per transaction: about 460,000 slot rows at 60 days
MARKER = "benchmark_growth_build"

# The bulk bookings: a start time (salon-local) and when, by day ahead ``o``
# and staff id ``s``, it is booked. Each holds three slots (Cut: 30 minutes
# and a 15-minute buffer), inside the morning or the afternoon.
BOOKED_SERVICE, BOOKED_MINUTES, SERVICE_MINUTES = "Cut", 45, 30
ANCHORS = [
    ("10:00", "{o} < 7 OR ({o} < 21 AND mod({s} + {o}, 2) = 0)"),
    ("15:00", "{o} < 21 OR mod({s} + {o}, 3) = 0"),
    ("17:00", "{o} < 7 OR ({o} < 21 AND mod({s} + {o}, 2) = 1)"),
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _share_niceness() -> None:
    """Give the server process doing our statements our own niceness: the
    build is the heavy part, and the machine is shared."""
    niceness = os.nice(0)
    if niceness <= 0:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        os.setpriority(os.PRIO_PROCESS, pid, niceness)
    except OSError:  # another machine, or not ours to renice
        pass


def _slot_status(first_day: dt.date) -> str:
    """SQL for a new slot's status: booked when a bulk booking covers it."""
    booked = []
    for start, rule in ANCHORS:
        rule = rule.format(o=f"(d.day::date - DATE '{first_day.isoformat()}')", s="m.id")
        booked.append(
            f"(w::time >= TIME '{start}' AND w::time < TIME '{start}' + INTERVAL '{BOOKED_MINUTES} minutes' AND ({rule}))"
        )
    return f"CASE WHEN {' OR '.join(booked)} THEN 'booked' ELSE 'available' END"


def insert_slots(*, lo: int, hi: int, first_day: dt.date, last_day: dt.date, booked_from: dt.date | None) -> int:
    """Slots for the active staff of salons ``lo``..``hi`` on the salon-local
    days ``first_day``..``last_day``, from their working hours: none on a day
    off or a closure, none at a wall-clock time the clocks skip. With
    ``booked_from``, the slots the bulk bookings will hold (counted from that
    day) are written booked."""
    status = _slot_status(booked_from) if booked_from else "'available'"
    sql = f"""
        INSERT INTO slots_slot (salon_id, staff_member_id, start, "end", status, block_reason)
        SELECT m.salon_id, m.id, w AT TIME ZONE sa.timezone,
               (w AT TIME ZONE sa.timezone) + make_interval(mins => sa.slot_minutes), {status}, ''
        FROM salons_staffmember m
        JOIN salons_salon sa ON sa.id = m.salon_id
        CROSS JOIN generate_series(%(first)s::timestamp, %(last)s::timestamp, INTERVAL '1 day') AS d(day)
        JOIN salons_workinghours wh
          ON wh.staff_member_id = m.id AND wh.weekday = extract(isodow FROM d.day)::int - 1
        CROSS JOIN LATERAL (
            VALUES (wh.start_time, coalesce(wh.break_start, wh.end_time)), (wh.break_end, wh.end_time)
        ) AS iv(opens, closes)
        CROSS JOIN LATERAL generate_series(
            d.day + iv.opens,
            d.day + iv.closes - make_interval(mins => sa.slot_minutes),
            make_interval(mins => sa.slot_minutes)
        ) AS w
        WHERE m.salon_id BETWEEN %(lo)s AND %(hi)s AND m.is_active AND iv.opens IS NOT NULL
          AND ((w AT TIME ZONE sa.timezone) AT TIME ZONE sa.timezone) = w
          AND NOT EXISTS (
              SELECT 1 FROM salons_dayoff o WHERE o.staff_member_id = m.id AND o.date = d.day::date
          )
          AND NOT EXISTS (
              SELECT 1 FROM salons_salonclosure c
              WHERE c.salon_id = m.salon_id AND d.day::date BETWEEN c.date_from AND c.date_to
          )
        ORDER BY m.id, w
        ON CONFLICT (staff_member_id, start) DO NOTHING
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"first": first_day, "last": last_day, "lo": lo, "hi": hi})
        return cursor.rowcount


def insert_bookings(*, lo: int, hi: int) -> int:
    """A booking for every booked anchor slot of salons ``lo``..``hi``, with
    its holds, history and outbox rows, as ``booking_create`` writes them."""
    anchors = ", ".join(f"TIME '{start}'" for start, _ in ANCHORS)
    chunk = "b.salon_id BETWEEN %(lo)s AND %(hi)s"
    statements = [
        f"""
        INSERT INTO bookings_booking (reference, manage_token, salon_id, service_id, staff_member_id, start, "end",
                                      held_until, customer_name, customer_phone, customer_email, series_id, status,
                                      created_at, updated_at)
        SELECT translate(substr(md5(random()::text || s.id), 1, 26), '0189', 'wxyz'),
               substr(md5(random()::text) || md5(random()::text), 1, 43),
               s.salon_id, sv.id, s.staff_member_id, s.start, s.start + INTERVAL '{SERVICE_MINUTES} minutes',
               s.start + INTERVAL '{BOOKED_MINUTES} minutes', 'Customer ' || s.id,
               '+4479' || lpad((s.id %% 100000000)::text, 8, '0'), '', NULL, 'confirmed',
               least(now(), s.start) - INTERVAL '6 days', least(now(), s.start) - INTERVAL '6 days'
        FROM slots_slot s
        JOIN salons_salon sa ON sa.id = s.salon_id
        JOIN salons_service sv ON sv.salon_id = s.salon_id AND sv.name = '{BOOKED_SERVICE}'
        WHERE s.salon_id BETWEEN %(lo)s AND %(hi)s AND s.status = 'booked'
          AND (s.start AT TIME ZONE sa.timezone)::time IN ({anchors})
        ORDER BY s.start, s.staff_member_id
        """,
        f"""
        INSERT INTO slots_hold (salon_id, slot_id, kind, holder_id, created_at)
        SELECT b.salon_id, s.id, 'booking', b.id, b.created_at
        FROM bookings_booking b
        JOIN slots_slot s ON s.staff_member_id = b.staff_member_id AND s.start >= b.start AND s.start < b.held_until
        WHERE {chunk}
        """,
        f"""
        INSERT INTO bookings_bookingstatuschange (booking_id, from_status, to_status, changed_at, actor, note,
                                                  actor_user_id)
        SELECT b.id, h.from_status, h.to_status, b.created_at, 'system', h.note, NULL
        FROM bookings_booking b
        CROSS JOIN (VALUES ('', 'pending', ''), ('pending', 'confirmed', 'confirmed automatically'))
            AS h(from_status, to_status, note)
        WHERE {chunk}
        """,
        # The confirmation is sent at once; each reminder is due before the
        # start, and not written when that time had passed at booking.
        f"""
        INSERT INTO bookings_message (salon_id, subject, kind, "to", parameters, due_at, expires_at, status,
                                      attempts, next_attempt_at, last_error, provider_message_id, claim_token,
                                      claimed_at, sent_at, delivery_status, delivered_at, read_at, idempotency_key,
                                      created_at, updated_at)
        SELECT b.salon_id, 'booking:' || b.id, k.kind, b.customer_phone, '{{}}'::jsonb, k.due, b.start,
               CASE WHEN k.due <= now() THEN 'sent' ELSE 'scheduled' END,
               CASE WHEN k.due <= now() THEN 1 ELSE 0 END,
               CASE WHEN k.due <= now() THEN NULL ELSE k.due END, '',
               CASE WHEN k.due <= now() THEN 'wamid.' || md5(b.id || k.kind) ELSE '' END, NULL, NULL,
               CASE WHEN k.due <= now() THEN k.due END,
               CASE WHEN k.due <= now() THEN 'delivered' ELSE '' END,
               CASE WHEN k.due <= now() THEN k.due + INTERVAL '3 seconds' END, NULL,
               gen_random_uuid(), b.created_at, b.created_at
        FROM bookings_booking b
        CROSS JOIN LATERAL (
            VALUES ('booking_confirmed', b.created_at),
                   ('reminder_24h', b.start - INTERVAL '24 hours'),
                   ('reminder_2h', b.start - INTERVAL '2 hours')
        ) AS k(kind, due)
        WHERE {chunk} AND (k.kind = 'booking_confirmed' OR k.due > b.created_at)
        """,
    ]
    made = 0
    with connection.cursor() as cursor:
        for number, sql in enumerate(statements):
            cursor.execute(sql, {"lo": lo, "hi": hi})
            if number == 0:
                made = cursor.rowcount
    return made


def bulk_salons(count: int, days: int) -> list[int]:
    """``count`` salons of ``STAFF_PER_SALON`` staff, their services and
    working hours; returns their ids in order."""
    ids: list[int] = []
    for at in range(0, count, 1000):
        with transaction.atomic():
            salons = Salon.objects.bulk_create(
                Salon(
                    name=f"Salon {n}",
                    slug=f"salon-{n}",
                    timezone=ZONE,
                    whatsapp_phone=f"+4479{n:08d}",
                    booking_window_days=days,
                )
                for n in range(at + 1, min(at + 1000, count) + 1)
            )
            services = Service.objects.bulk_create(
                Service(salon=salon, name=name, duration_minutes=minutes, buffer_minutes=buffer, price=Decimal("30"))
                for salon in salons
                for name, minutes, buffer in scale_data.SERVICES
            )
            staff = StaffMember.objects.bulk_create(
                StaffMember(salon=salon, name=f"Stylist {k + 1}") for salon in salons for k in range(STAFF_PER_SALON)
            )
            by_salon: dict[int, list[Service]] = {}
            for service in services:
                by_salon.setdefault(service.salon_id, []).append(service)
            StaffMember.services.through.objects.bulk_create(
                StaffMember.services.through(staffmember_id=member.pk, service_id=service.pk)
                for member in staff
                for service in by_salon[member.salon_id]
            )
            WorkingHours.objects.bulk_create(
                WorkingHours(
                    staff_member=member,
                    weekday=weekday,
                    start_time=dt.time(9),
                    end_time=dt.time(19),
                    break_start=dt.time(13),
                    break_end=dt.time(14),
                )
                for index, member in enumerate(staff)
                for weekday in range(7)
                if weekday != (member.salon_id + index) % 7
            )
        ids += [salon.pk for salon in salons]
        log(f"salons: {len(ids):,} of {count:,} with their services, staff and hours")
    return ids


def _salon_today() -> dt.date:
    return dt.datetime.now(zoneinfo.ZoneInfo(ZONE)).date()


def build(*, salons: int, days: int) -> dict:
    began = time.perf_counter()
    _share_niceness()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER} (salons integer, days integer, built_on date, "
                       "slots_through date, seconds real, built_at timestamptz)")
        cursor.execute("SET work_mem = '128MB'")
    log(f"the measured salon: {MEASURED_STAFF} staff, {MEASURED_BOOKINGS} bookings through the services")
    salon, services, staff = scale_data.build(staff_count=MEASURED_STAFF, days=days)
    scale_data.book_some(salon, services, staff, bookings=MEASURED_BOOKINGS)
    today = _salon_today()
    last_day = today + dt.timedelta(days=days - 1)
    ids = bulk_salons(salons - 1, days)
    slots = bookings = 0
    slots_began = time.perf_counter()
    for at in range(0, len(ids), CHUNK):
        lo, hi = ids[at], ids[min(at + CHUNK, len(ids)) - 1]
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
            slots += insert_slots(lo=lo, hi=hi, first_day=today, last_day=last_day, booked_from=today)
            bookings += insert_bookings(lo=lo, hi=hi)
        done = min(at + CHUNK, len(ids))
        elapsed = time.perf_counter() - slots_began
        rate = slots / elapsed if elapsed else 0.0
        left = elapsed / done * (len(ids) - done)
        log(
            f"slots: salons {done:,} of {len(ids):,}, {slots:,} slots and {bookings:,} bookings, "
            f"{rate:,.0f} slots/s, about {left / 60:.0f} min left"
        )
    log("VACUUM ANALYZE (visibility map and statistics, as autovacuum would leave them)")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    seconds = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MARKER}")
        cursor.execute(
            f"INSERT INTO {MARKER} VALUES (%s, %s, %s, %s, %s, now())", (salons, days, today, last_day, seconds)
        )
    log(f"built in {seconds / 60:.1f} min")
    return {"built": True, "seconds": round(seconds, 1), **counts()}


def top_up() -> dict:
    """Add the days that came into every window since the build (slots only),
    as the sweep would have: a reused build measures a steady state."""
    _share_niceness()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT days, slots_through FROM {MARKER}")
        days, through = cursor.fetchone()
    last_day = _salon_today() + dt.timedelta(days=days - 1)
    added = 0
    if last_day > through:
        ids = Salon.objects.aggregate(first=Min("pk"), last=Max("pk"))
        with transaction.atomic():
            added = insert_slots(
                lo=ids["first"], hi=ids["last"], first_day=through + dt.timedelta(days=1), last_day=last_day, booked_from=None
            )
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {MARKER} SET slots_through = %s", (last_day,))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE slots_slot")
    log(f"reused: {added:,} slots added for the days since the build (window now ends {last_day})")
    return {"built": False, "topped_up": added, **counts()}


def counts() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM salons_salon), (SELECT count(*) FROM salons_staffmember), "
            "(SELECT count(*) FROM slots_slot), (SELECT count(*) FROM slots_hold), "
            "(SELECT count(*) FROM bookings_booking), (SELECT count(*) FROM bookings_message)"
        )
        row = cursor.fetchone()
    return dict(zip(("salons", "staff", "slots", "holds", "bookings", "messages"), row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["build", "top-up"])
    parser.add_argument("--salons", type=int, default=1)
    parser.add_argument("--days", type=int, default=60)
    args = parser.parse_args()
    summary = build(salons=args.salons, days=args.days) if args.action == "build" else top_up()
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
