"""``benchmarks/run scale --salons N``: what one more salon costs, measured
beside N - 1 others on one PostgreSQL database.

    benchmarks/run scale --salons N[,N...] [--days 60] [--rebuild] [--build-only]
                         [--repeat 20] [--passes 1] [--seconds 5]
    benchmarks/run scale --fit

Builds (``benchmarks.growth_data``) the measured 20-staff salon and N - 1
salons of 5 staff into ``salonbook_scale_<N>`` once; a later run finds the
finished build and reuses it (``--rebuild`` forces a new one), adding only
the days that came into the window since. Then it measures:

- per request, in process (``benchmarks.growth_measure``, the best of
  ``--repeat``): a day's availability and the month uncached, and the slot
  query of each alone, a booking (created, then cancelled so the next can
  take the same start), a cached day and cached business info;
- under gunicorn + wrk (``--seconds`` each, 0 skips it): the two cached reads
  as a ratio to the bare view of the same run;
- the hourly sweep (``slots.sweep``) when nothing changed: a whole run,
  per staff member, and its search for who is short;
- bytes per salon: ``pg_total_relation_size`` of every tenant table, and of
  the slot table alone, divided by N.

With several N (``--salons 1,1000,5000``) the in-process measurements run
for each in turn, ``--passes`` times, and each timing is the best pass.
Figures go to ``var/benchmarks/growth_<N>.json``. ``--fit`` reads every
saved N and fits a straight line per figure (least squares), with its value
at 100,000 salons and that value's standard error.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import time
import zoneinfo

from benchmarks.harness import (
    OUT,
    PG_ADMIN_URL,
    PYTHON,
    REDIS_URL,
    ROOT,
    app_env,
    gunicorn,
    log,
    manage,
    pg_url,
    recreate_database,
    wrk,
)

MARKER = "benchmark_growth_build"
MEASURED_STAFF, STAFF_PER_SALON = 20, 5  # as benchmarks.growth_data builds them
FIT_AT = 100_000
# Every table whose rows belong to one salon (docs/SCALING.md lists them).
TENANT_TABLES = [
    "salons_salon",
    "salons_service",
    "salons_staffmember",
    "salons_staffmember_services",
    "salons_workinghours",
    "salons_dayoff",
    "salons_salonclosure",
    "slots_slot",
    "slots_hold",
    "bookings_booking",
    "bookings_bookingseries",
    "bookings_bookingstatuschange",
    "bookings_customernote",
    "bookings_message",
    "bookings_inboundreply",
    "waitlist_waitlistentry",
    "waitlist_waitlistoffer",
]
# What the table and the fit show: key, label, unit.
FIGURES = [
    ("day_ms", "a day's availability (uncached)", "ms"),
    ("day_query_ms", "  its slot query alone", "ms"),
    ("month_ms", "the month (uncached)", "ms"),
    ("month_query_ms", "  its slot query alone", "ms"),
    ("booking_ms", "a booking", "ms"),
    ("cancel_ms", "its cancellation", "ms"),
    ("cached_day_ms", "a day's availability (cached)", "ms"),
    ("business_info_ms", "business info (cached)", "ms"),
    ("cached_day_x_bare", "cached day, x bare view (wrk)", "x"),
    ("business_info_x_bare", "business info, x bare view (wrk)", "x"),
    ("sweep_ms", "sweep, nothing changed, a whole run", "ms"),
    ("sweep_ms_per_staff", "sweep, nothing changed, per staff member", "ms"),
    ("sweep_find_ms_per_staff", "  of which finding who is short", "ms"),
    ("tenant_bytes_per_salon", "tenant tables per salon", "MB"),
    ("slot_bytes_per_salon", "slot table per salon", "MB"),
    ("tenant_bytes", "tenant tables", "GB"),
    ("slot_bytes", "slot table", "GB"),
]


def _salons(count: int) -> str:
    return f"{count:,} salon" + ("" if count == 1 else "s")


def database_name(salons: int, days: int) -> str:
    return f"salonbook_scale_{salons}" + ("" if days == 60 else f"_{days}d")


def finished_build(name: str) -> dict | None:
    """The marker row of a complete build in database ``name``, if any."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            return None
    with psycopg.connect(pg_url(name), autocommit=True) as conn:
        (table,) = conn.execute("SELECT to_regclass(%s)", (MARKER,)).fetchone() or (None,)
        if table is None:
            return None
        row = conn.execute(f"SELECT salons, days, built_on, seconds FROM {MARKER}").fetchone()
    if row is None:
        return None
    return dict(zip(("salons", "days", "built_on", "seconds"), row))


def _run_module(env: dict[str, str], module: str, *args: str) -> dict:
    """Run ``python -m module args`` in the app's environment, passing its
    progress through; its last line is JSON."""
    process = subprocess.Popen(
        [PYTHON, "-m", module, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, bufsize=1
    )
    last = ""
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("{"):
            last = line
        else:
            print(line, end="", flush=True)
    if process.wait() != 0 or not last:
        raise RuntimeError(f"python -m {module} {' '.join(args)} failed")
    return json.loads(last)


def build_or_reuse(env: dict[str, str], name: str, *, salons: int, days: int, rebuild: bool) -> dict:
    found = finished_build(name)
    if found and not rebuild and (found["salons"], found["days"]) == (salons, days):
        log(f"reusing {name} (built {found['built_on']} in {found['seconds'] / 60:.1f} min)")
        return _run_module(env, "benchmarks.growth_data", "top-up")
    log(f"building {name}: {_salons(salons)}, a {days}-day window")
    recreate_database(name)
    manage(env, "migrate", "--noinput", "-v", "0")
    return _run_module(env, "benchmarks.growth_data", "build", "--salons", str(salons), "--days", str(days))


def table_bytes(name: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(pg_url(name), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relkind = 'r' AND relname = ANY(%s)",
            (TENANT_TABLES,),
        ).fetchall()
    return dict(rows)


def under_load(env: dict[str, str], seconds: int) -> dict:
    """The cached day and business info under wrk, each against the bare
    view of the same run (a body of the cached day's size)."""
    import urllib.request

    today = dt.datetime.now(zoneinfo.ZoneInfo("Europe/London")).date()
    info_path = "/api/salons/bench/"
    with contextlib.ExitStack() as servers:
        app = servers.enter_context(gunicorn("growth-app", "salonbook.wsgi", env))
        with urllib.request.urlopen(app.url + info_path) as answer:
            cut = next(s["id"] for s in json.load(answer)["services"] if s["name"] == "Cut")
        day_path = f"/api/salons/bench/availability/?date={(today + dt.timedelta(days=3)).isoformat()}&service={cut}"
        with urllib.request.urlopen(app.url + day_path) as answer:
            body_bytes = len(answer.read())
        bare = servers.enter_context(
            gunicorn("growth-bare", "benchmarks.bare_app:application", {**env, "BARE_BODY_BYTES": str(body_bytes)})
        )
        results = {
            label: wrk(label, url, seconds=seconds)
            for label, url in (
                ("bare", bare.url + "/bare"),
                ("cached day", app.url + day_path),
                ("business info", app.url + info_path),
            )
        }
    for result in results.values():
        if result.errors:
            raise RuntimeError(f"{result.label}: {result.errors} errors under load")
    bare_rps = results["bare"].rps
    return {
        "wrk": {label: r.as_dict() for label, r in results.items()},
        "cached_day_x_bare": round(results["cached day"].rps / bare_rps, 3),
        "business_info_x_bare": round(results["business info"].rps / bare_rps, 3),
    }


def _shown(key: str, value: float) -> str:
    unit = next(unit for k, _, unit in FIGURES if k == key)
    if unit in ("MB", "GB"):
        return f"{value / 1e9:.2f} GB" if abs(value) >= 1e9 else f"{value / 1e6:.2f} MB"
    if unit == "x":
        return f"{value:.3f}x"
    if abs(value) >= 10_000:
        return f"{value / 1000:.1f} s"
    return f"{value:.3f} ms" if abs(value) < 1 else f"{value:.1f} ms"


def print_figures(figures: dict) -> None:
    one = OUT / "growth_1.json"
    alone = json.loads(one.read_text())["figures"] if one.exists() and figures["salons"] != 1 else None
    print()
    print(f"{_salons(figures['salons'])}: {figures['data']['slots']:,} slots, {figures['data']['staff']:,} staff")
    print(f"{'figure':<44}{'value':>14}" + (f"{'one salon':>14}{'change':>9}" if alone else ""))
    for key, label, _ in FIGURES:
        if key not in figures["figures"]:
            continue
        value = figures["figures"][key]
        line = f"{label:<44}{_shown(key, value):>14}"
        if alone and key in alone:
            line += f"{_shown(key, alone[key]):>14}{(value / alone[key] - 1) * 100:>+8.0f}%"
        print(line)


def fit(days: int) -> None:
    """A straight line per figure through every saved N of a ``days`` window,
    and its value at ``FIT_AT`` salons. Bytes per salon come from the line of
    the totals: its slope is what one more 5-staff salon adds."""
    runs = sorted(
        (run for run in (json.loads(path.read_text()) for path in OUT.glob("growth_*.json")) if run["days"] == days),
        key=lambda run: run["salons"],
    )
    if len(runs) < 2:
        raise SystemExit("--fit needs the figures of at least two N (benchmarks/run scale --salons N)")
    counts = ", ".join(f"{run['salons']:,}" for run in runs)
    print(f"least squares over N = {counts} ({days}-day window)")
    print(f"{'figure':<44}{'per 1,000 salons':>18}{'at N = 0':>14}{f'at {FIT_AT:,}':>14}{'+/-':>12}")
    lines = {}
    for key, label, _ in FIGURES:
        points = [(run["salons"], run["figures"][key]) for run in runs if key in run["figures"]]
        if len(points) < 2 or key.endswith("_per_salon"):
            continue
        slope, intercept = statistics.linear_regression(*zip(*points))
        lines[key] = slope, intercept
        print(
            f"{label:<44}{_shown(key, slope * 1000):>18}{_shown(key, intercept):>14}"
            f"{_shown(key, intercept + slope * FIT_AT):>14}{_shown(key, _spread(points, slope, intercept)):>12}"
        )
    for total, label in (("tenant_bytes", "tenant tables"), ("slot_bytes", "slot table")):
        if total in lines:
            slope, intercept = lines[total]
            print(
                f"{label + ', per salon':<44}{_shown(total, slope):>18}{'':>14}"
                f"{_shown(total, (intercept + slope * FIT_AT) / FIT_AT):>14}"
            )
    if "sweep_ms" in lines:
        # The measured salon's 20 staff, and 5 in every other salon.
        slope, intercept = lines["sweep_ms"]
        staff = MEASURED_STAFF + STAFF_PER_SALON * (FIT_AT - 1)
        print(f"{'sweep, per staff member (from the whole run)':<44}{'':>32}{_shown('sweep_ms', (intercept + slope * FIT_AT) / staff):>14}")


def _spread(points: list[tuple[int, float]], slope: float, intercept: float) -> float:
    """The standard error of the line's value at ``FIT_AT``: how far the
    points' own scatter about the line, carried out that far, could move
    it (0 with only two points, which a line always meets)."""
    if len(points) < 3:
        return 0.0
    xs = [x for x, _ in points]
    mean = statistics.fmean(xs)
    residual = sum((y - (intercept + slope * x)) ** 2 for x, y in points) / (len(points) - 2)
    spread = sum((x - mean) ** 2 for x in xs)
    return (residual * (1 / len(points) + (FIT_AT - mean) ** 2 / spread)) ** 0.5


def _salon_counts(text: str) -> list[int]:
    counts = [int(part.replace("_", "")) for part in text.split(",")]
    if any(count < 1 for count in counts):
        raise argparse.ArgumentTypeError("every N must be at least 1")
    return counts


def _best(runs: list[dict]) -> dict:
    """Per timing, the best of the passes (the machine is shared: the least
    disturbed run is the closest to the work itself); anything else as last seen."""
    best = dict(runs[-1])
    for key in list(best):
        if key.endswith(("_ms", "_ms_per_staff")):
            best[key] = min(run[key] for run in runs)
    return best


def measure(env: dict[str, str], name: str, *, salons: int, days: int, data: dict, runs: list[dict], seconds: int) -> None:
    figures = _best(runs)
    if seconds:
        log(f"{_salons(salons)}: cached reads under gunicorn + wrk, {seconds} s each")
        figures.update(under_load(env, seconds))
    sizes = table_bytes(name)
    tenant, slot = sum(sizes.values()), sizes["slots_slot"]
    figures.update(
        {
            "tenant_bytes": tenant,
            "slot_bytes": slot,
            "tenant_bytes_per_salon": tenant / salons,
            "slot_bytes_per_salon": slot / salons,
            "table_bytes": sizes,
            "passes": len(runs),
        }
    )
    report = {
        "salons": salons,
        "days": days,
        "database": name,
        "measured": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.node()}, {platform.machine()}, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}",
        "data": data,
        "figures": {k: v for k, v in figures.items() if k in {key for key, _, _ in FIGURES}},
        "details": {k: v for k, v in figures.items() if k not in {key for key, _, _ in FIGURES}},
    }
    path = OUT / f"growth_{salons}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    print_figures(report)
    log(f"figures written to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--salons", type=_salon_counts, help="how many salons, the measured one included (several: 1,1000,5000)"
    )
    parser.add_argument("--days", type=int, default=60, help="the booking window")
    parser.add_argument("--rebuild", action="store_true", help="build again even when a finished build exists")
    parser.add_argument("--build-only", action="store_true", help="build or top up, and stop")
    parser.add_argument("--repeat", type=int, default=20, help="in-process runs of each request; the best counts")
    parser.add_argument(
        "--passes", type=int, default=1, help="in-process passes over every N in turn; the best pass counts"
    )
    parser.add_argument("--seconds", type=int, default=5, help="wrk seconds per path; 0: no load part")
    parser.add_argument("--fit", action="store_true", help="fit a line through the saved figures of every N")
    args = parser.parse_args()
    if args.fit:
        fit(args.days)
        return
    if not args.salons:
        parser.error("--salons N or --fit")
    OUT.mkdir(parents=True, exist_ok=True)
    builds = {}
    for salons in args.salons:
        name = database_name(salons, args.days)
        env = app_env(pg_url(name), REDIS_URL)
        builds[salons] = (name, env, build_or_reuse(env, name, salons=salons, days=args.days, rebuild=args.rebuild))
    if args.build_only:
        return

    # Several N measured in turn, pass after pass: a machine that slows down
    # or speeds up moves them alike.
    runs: dict[int, list[dict]] = {salons: [] for salons in args.salons}
    for number in range(1, args.passes + 1):
        for salons, (_, env, _) in builds.items():
            log(f"{_salons(salons)}: per request, in process (pass {number} of {args.passes})")
            runs[salons].append(_run_module(env, "benchmarks.growth_measure", "--repeat", str(args.repeat)))
    for salons, (name, env, data) in builds.items():
        measure(env, name, salons=salons, days=args.days, data=data, runs=runs[salons], seconds=args.seconds)


if __name__ == "__main__":
    main()
