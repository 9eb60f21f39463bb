"""Many phones racing for one slot: exactly one booking, everyone else 409.

Serves the app under gunicorn on a fresh PostgreSQL database with Redis, then
for each round sends N simultaneous ``POST /api/bookings/`` for the same start,
each from its own source address in 127.0.0.0/8 (so every client has its own
rate limits, as real phones would). Then the same with two overlapping
multi-slot services. Exits non-zero unless every round gives exactly one 201,
N - 1 409s, no 5xx, and one booking row.

    .venv/bin/python -m benchmarks.race [--clients 200] [--rounds 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import itertools
import json
import sys
import threading
import zoneinfo
from collections import Counter

import psycopg

from benchmarks.harness import app_env, gunicorn, log, manage, recreate_database

DATABASE = "salonbook_race"
_addresses = (f"127.{a}.{b}.{c}" for a in range(1, 255) for b in range(0, 255) for c in range(1, 255))


def _post(port: int, source: str, body: dict, barrier: threading.Barrier, results: list, lock: threading.Lock) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    payload = json.dumps(body)
    status: int | str
    try:
        barrier.wait(timeout=60)
        connection.request("POST", "/api/bookings/", payload, {"Content-Type": "application/json"})
        response = connection.getresponse()
        status = response.status
        response.read()
    except Exception as error:  # a refused or broken connection is a failure to report
        status = f"error {type(error).__name__}"
    finally:
        connection.close()
    with lock:
        results.append(status)


def race(port: int, bodies: list[dict]) -> Counter:
    barrier = threading.Barrier(len(bodies))
    results: list = []
    lock = threading.Lock()
    threads = [
        threading.Thread(target=_post, args=(port, next(_addresses), body, barrier, results, lock)) for body in bodies
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(results)


def _row(row: tuple | None) -> tuple:
    if row is None:
        raise RuntimeError("no such row: did seed_demo run on this database?")
    return row


def _demo(database_url: str) -> dict:
    with psycopg.connect(database_url) as conn:
        salon_id, slug = _row(conn.execute("SELECT id, slug FROM salons_salon WHERE slug = 'demo'").fetchone())
        services: dict[str, int] = dict(
            conn.execute("SELECT name, id FROM salons_service WHERE salon_id = %s", (salon_id,)).fetchall()
        )
        staff = _row(conn.execute(
            """SELECT s.id FROM salons_staffmember s
               JOIN salons_staffmember_services ss ON ss.staffmember_id = s.id
               WHERE ss.service_id = %s ORDER BY s.id LIMIT 1""",
            (services["Colour"],),
        ).fetchone())[0]
    return {"salon": slug, "services": services, "staff": staff}


def _free_starts(database_url: str, staff: int, run_slots: int) -> list[dt.datetime]:
    """Starts with ``run_slots`` free slots back to back, from tomorrow on."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            """SELECT start, "end" FROM slots_slot WHERE staff_member_id = %s AND status = 'available'
               AND start > now() + interval '1 day' ORDER BY start""",
            (staff,),
        ).fetchall()
    starts = []
    for index in range(len(rows) - run_slots + 1):
        window = rows[index : index + run_slots]
        if all(a[1] == b[0] for a, b in itertools.pairwise(window)):
            starts.append(window[0][0])
    return starts


def _one_per_day(starts: list[dt.datetime]) -> list[dt.datetime]:
    days: dict[dt.date, dt.datetime] = {}
    for start in starts:
        days.setdefault(start.date(), start)
    return list(days.values())


def _bookings_at(database_url: str, staff: int, starts: list[dt.datetime]) -> int:
    with psycopg.connect(database_url) as conn:
        return _row(conn.execute(
            "SELECT count(*) FROM bookings_booking WHERE staff_member_id = %s AND start = ANY(%s) AND status IN ('pending', 'confirmed')",
            (staff, starts),
        ).fetchone())[0]


def _body(demo: dict, service: str, start: dt.datetime, n: int) -> dict:
    return {
        "salon": demo["salon"],
        "service": demo["services"][service],
        "staff": demo["staff"],
        "start": start.astimezone(zoneinfo.ZoneInfo("Europe/London")).isoformat(),
        "customer_name": f"Racer {n}",
        # A phone of its own per client and start: winners of earlier rounds
        # must not meet the salon's limit of upcoming online bookings per phone.
        "customer_phone": f"+4479{int(start.timestamp()) // 60 % 1000:03d}{n:05d}",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="Race many clients for one slot.")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    database_url = recreate_database(DATABASE)
    env = app_env(database_url, RATE_LIMIT_API="100/m", RATE_LIMIT_BOOKINGS="10/m")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo")
    demo = _demo(database_url)
    failures = 0
    with gunicorn("race-app", "salonbook.wsgi", env) as app:
        log(f"app on {app.url}; {args.clients} clients, {args.rounds} rounds per kind")
        # Cut & Finish is 45 minutes + 15 buffer: four 15-minute slots. Two
        # starts three slots apart share exactly one slot. (Not the demo's
        # Colour: it also needs the one colour station, which the demo's own
        # bookings hold at times the slots alone do not show.)
        london = zoneinfo.ZoneInfo("Europe/London")
        # One round per day and kind: afternoons for one slot, mornings for the long service.
        single = _one_per_day([s for s in _free_starts(database_url, demo["staff"], 1) if s.astimezone(london).hour >= 14])
        multi = _one_per_day([s for s in _free_starts(database_url, demo["staff"], 7) if s.astimezone(london).hour < 12])
        for kind, pool in (("one slot", single), ("overlapping multi-slot", multi)):
            if len(pool) < args.rounds:
                raise SystemExit(f"only {len(pool)} days with room for {kind} rounds")
            totals: Counter = Counter()
            for round_number, start in enumerate(pool[: args.rounds]):
                if kind == "one slot":
                    starts = [start]
                    bodies = [_body(demo, "Beard Trim", start, n) for n in range(args.clients)]
                else:
                    other = start + dt.timedelta(minutes=45)
                    starts = [start, other]
                    bodies = [_body(demo, "Cut & Finish", start if n % 2 else other, n) for n in range(args.clients)]
                outcome = race(app.port, bodies)
                rows = _bookings_at(database_url, demo["staff"], starts)
                ok = outcome == Counter({201: 1, 409: args.clients - 1}) and rows == 1
                totals.update(outcome)
                if not ok:
                    failures += 1
                    log(f"FAIL {kind} round {round_number + 1}: {dict(outcome)}, booking rows {rows}")
            log(f"{kind}: {args.rounds} rounds x {args.clients} clients -> {dict(totals)}")
    print("PASS" if not failures else f"FAIL: {failures} round(s) broke the rule")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
