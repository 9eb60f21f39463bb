"""``benchmarks/run``: the app under load, side by side with a bare Django view.

Builds the scaled salon in a fresh PostgreSQL database, serves the app (on
PostgreSQL + Redis) and the baseline under gunicorn with the same settings,
drives them with wrk, and prints requests per second and p50 / p99 for each
hot path, each also as a ratio to the bare view measured in the same run:
the paths the targets compare run in alternating rounds. Then it checks the
targets at half the measured maximum load.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import urllib.request
import zoneinfo

from benchmarks.harness import (
    OUT,
    PYTHON,
    ROOT,
    WORKERS,
    LoadResult,
    app_env,
    gunicorn,
    log,
    recreate_database,
    wrk,
)

DATABASE = "salonbook_bench"


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def _prepare(env: dict[str, str]) -> dict:
    import subprocess

    from benchmarks.harness import manage

    log("migrating a fresh database and building the scaled salon")
    OUT.mkdir(parents=True, exist_ok=True)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo")
    bodies = OUT / "booking_bodies.jsonl"
    out = subprocess.run(
        [PYTHON, "-m", "benchmarks.scale_data", str(bodies)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(f"building the scaled salon failed:\n{out.stderr}")
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    summary["bodies_file"] = str(bodies)
    log(
        f"salon '{summary['salon']}': {summary['staff']} staff, {summary['slots']} slots, "
        f"{summary['bookings']} bookings, {summary['free_bodies']} free starts for the booking run"
    )
    return summary


def _median(runs: list[LoadResult]) -> LoadResult:
    """The run with the median rate, its errors those of every run."""
    middle = sorted(runs, key=lambda run: run.rps)[len(runs) // 2]
    return dataclasses.replace(middle, errors=sum(run.errors for run in runs))


def _paced(result: LoadResult, connections: int) -> int:
    """Milliseconds between requests per connection for half ``result``'s rate."""
    return max(1, round(connections * 1000 / (result.rps / 2)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="turns of the compared paths")
    parser.add_argument(
        "--half-seconds", type=int, default=30, help="length of the half-load runs (their p99 needs samples)"
    )
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    seconds, connections = args.seconds, args.connections

    database_url = recreate_database(DATABASE)
    env = app_env(database_url)
    summary = _prepare(env)
    salon = summary["salon"]
    day = (dt.datetime.now(zoneinfo.ZoneInfo("Europe/London")).date() + dt.timedelta(days=3)).isoformat()
    availability = f"/api/salons/{salon}/availability/?date={day}&service={summary['service_ids']['Cut']}"
    with contextlib.ExitStack() as servers:
        app = servers.enter_context(gunicorn("app", "salonbook.wsgi", env))
        body_bytes = len(_get(app.url + availability))
        log(f"app on {app.url} ({WORKERS} workers); availability body {body_bytes} bytes")
        bare = servers.enter_context(
            gunicorn("bare", "benchmarks.bare_app:application", {**env, "BARE_BODY_BYTES": str(body_bytes)})
        )
        uncached_app = servers.enter_context(gunicorn("app-uncached", "salonbook.wsgi", {**env, "CONTENT_CACHE": "false"}))
        # The floor under a cached read: the same stack doing none of the
        # product's work, without and with the one Redis round trip.
        floor = servers.enter_context(
            gunicorn("floor", "benchmarks.floor_app:application", {**env, "FLOOR_BODY_BYTES": str(body_bytes)})
        )
        compared = [
            ("bare Django view", bare.url + "/bare"),
            ("availability (cached)", app.url + availability),
            ("business info (cached)", app.url + f"/api/salons/{salon}/"),
            ("availability (uncached)", uncached_app.url + availability),
            ("floor: DRF + middleware", floor.url + "/floor/static"),
            ("floor: + one Redis read", floor.url + "/floor/redis"),
        ]
        for _, url in compared:
            _get(url)  # warm caches and connections
        # The paths the targets compare run in turns, one round of each at a
        # time, so a machine that speeds up or slows down during the run moves
        # them alike; each figure is the round with the median rate.
        rounds: dict[str, list[LoadResult]] = {label: [] for label, _ in compared}
        for number in range(1, args.rounds + 1):
            log(f"round {number} of {args.rounds}")
            for label, url in compared:
                rounds[label].append(wrk(label, url, seconds=seconds, connections=connections))
        measured = {label: _median(runs) for label, runs in rounds.items()}
        bare_result, cached, info, uncached = (
            measured[label]
            for label in ("bare Django view", "availability (cached)", "business info (cached)", "availability (uncached)")
        )

        health = wrk("health", app.url + "/api/health", seconds=seconds, connections=connections)
        create = wrk(
            "booking create",
            app.url + "/api/bookings/",
            seconds=seconds,
            connections=connections,
            script="post_bodies.lua",
            script_args=[summary["bodies_file"], "2"],
        )

        log("half of the measured maximum load")
        half_cached = wrk(
            "availability (cached) at half load",
            app.url + availability,
            seconds=args.half_seconds,
            connections=connections,
            script="paced_get.lua",
            script_args=[str(_paced(cached, connections))],
        )
        half_create = wrk(
            "booking create at half load",
            app.url + "/api/bookings/",
            seconds=args.half_seconds,
            connections=connections,
            script="post_bodies.lua",
            script_args=[summary["bodies_file"] + ".half", "2", str(_paced(create, connections))],
        ) if _write_fresh_bodies(summary, skip=create.requests + 100) else None

    floors = [measured["floor: DRF + middleware"], measured["floor: + one Redis read"]]
    results = [bare_result, cached, info, health, create, uncached]
    print()
    print(f"{'path':<38}{'req/s':>10}{'x bare':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    half = [r for r in (half_cached, half_create) if r]
    for result in results + half + floors:
        print(
            f"{result.label:<38}{result.rps:>10.0f}{result.rps / bare_result.rps:>9.2f}"
            f"{result.p50_ms:>9.2f}{result.p99_ms:>9.2f}{result.errors:>8}"
        )

    targets = [
        ("cached availability >= 0.5 x bare", cached.rps / bare_result.rps >= 0.5, f"{cached.rps / bare_result.rps:.2f}"),
        ("business info >= 0.5 x bare", info.rps / bare_result.rps >= 0.5, f"{info.rps / bare_result.rps:.2f}"),
        ("cached availability >= 10 x uncached", cached.rps / uncached.rps >= 10, f"{cached.rps / uncached.rps:.1f}x"),
        ("p99 cached read at half load < 50 ms", half_cached.p99_ms < 50, f"{half_cached.p99_ms:.1f} ms"),
    ]
    if half_create:
        targets.append(("p99 booking create at half load < 150 ms", half_create.p99_ms < 150, f"{half_create.p99_ms:.1f} ms"))
    print()
    for name, ok, figure in targets:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {figure}")
    report = {
        "results": [r.as_dict() for r in results + half + floors],
        "targets": {name: {"ok": ok, "figure": figure} for name, ok, figure in targets},
        "workers": WORKERS,
        "seconds": seconds,
        "rounds": args.rounds,
        "rates_by_round": {label: [round(run.rps, 1) for run in runs] for label, runs in rounds.items()},
        "connections": connections,
        "data": {k: summary[k] for k in ("staff", "slots", "bookings")},
    }
    (OUT / "results.json").write_text(json.dumps(report, indent=2))
    log(f"figures written to {OUT / 'results.json'}")


def _write_fresh_bodies(summary: dict, *, skip: int) -> bool:
    """Bodies the first booking run has not used yet, for the paced run."""
    lines = open(summary["bodies_file"]).read().splitlines()[skip:]
    if len(lines) < 100:
        return False
    with open(summary["bodies_file"] + ".half", "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return True


if __name__ == "__main__":
    main()
