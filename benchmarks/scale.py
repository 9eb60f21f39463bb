"""``benchmarks/run scale``: availability, the month calendar and booking on a
large salon (20 staff, 60 days of slots), each as a ratio to the bare view.

    benchmarks/run scale [--seconds N] [--rounds N] [--connections N] [--baseline REF]

Builds the salon in a fresh PostgreSQL database and serves, under gunicorn
with the same settings: the bare view, the app with its content cache, the
app without it (``CONTENT_CACHE=false``: every read is built), and, with
``--baseline REF``, the code of that git commit without the cache, on the
same database, so "before" and "after" are measured in one run. The read
rows run in alternating rounds; each figure is the round with the median
rate. Latency of one uncached month with a single client is measured too:
under load, p50 is mostly queueing behind the other connections.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import subprocess
import sys
import tarfile
import zoneinfo
from pathlib import Path

from benchmarks.harness import OUT, PYTHON, ROOT, LoadResult, app_env, gunicorn, log, manage, recreate_database, wrk
from benchmarks.runner import _get, _median

DATABASE = "salonbook_bench_scale"
STAFF, DAYS, BOOKINGS = 20, 60, 800


def _build(env: dict[str, str]) -> dict:
    OUT.mkdir(parents=True, exist_ok=True)
    manage(env, "migrate", "--noinput", "-v", "0")
    # A fresh database reuses ids and the slug: entries an earlier run left in
    # this Redis would describe another salon.
    manage(env, "shell", "-c", "from salonbook.cache import invalidate_all; invalidate_all()")
    bodies = OUT / "scale_bodies.jsonl"
    out = subprocess.run(
        [PYTHON, "-m", "benchmarks.scale_data", str(bodies), str(STAFF), str(DAYS), str(BOOKINGS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"building the scaled salon failed:\n{out.stderr}")
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    # Every other free start for each code version: no two runs ask for one slot.
    lines = bodies.read_text().splitlines()
    for name, part in (("new", lines[0::2]), ("old", lines[1::2])):
        (OUT / f"scale_bodies_{name}.jsonl").write_text("\n".join(part) + "\n")
    log(
        f"salon '{summary['salon']}': {summary['staff']} staff, {summary['slots']} slots, {summary['bookings']} bookings"
    )
    return summary


def _checkout(ref: str) -> Path:
    """The code of ``ref``, unpacked beside the results (no git state touched)."""
    target = OUT / f"code-{ref}"
    if not target.exists():
        archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
    return target


def main() -> None:
    if any(arg.split("=")[0] in ("--salons", "--fit") for arg in sys.argv[1:]):
        from benchmarks import growth  # many salons: benchmarks/growth.py

        growth.main()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--baseline", help="a git commit to measure side by side (uncached day, booking)")
    args = parser.parse_args()
    seconds, connections = args.seconds, args.connections

    env = app_env(recreate_database(DATABASE))
    summary = _build(env)
    slug, cut = summary["salon"], summary["service_ids"]["Cut"]
    today = dt.datetime.now(zoneinfo.ZoneInfo("Europe/London")).date()
    day = (today + dt.timedelta(days=3)).isoformat()
    month = (today.replace(day=1) + dt.timedelta(days=32)).strftime("%Y-%m")  # next month: every day ahead
    day_path = f"/api/salons/{slug}/availability/?date={day}&service={cut}"
    month_path = f"/api/salons/{slug}/calendar/?month={month}&service={cut}"

    with contextlib.ExitStack() as servers:
        app = servers.enter_context(gunicorn("scale-app", "salonbook.wsgi", env))
        uncached = servers.enter_context(
            gunicorn("scale-uncached", "salonbook.wsgi", {**env, "CONTENT_CACHE": "false"})
        )
        body_bytes = len(_get(app.url + day_path))
        bare = servers.enter_context(
            gunicorn("scale-bare", "benchmarks.bare_app:application", {**env, "BARE_BODY_BYTES": str(body_bytes)})
        )
        compared = [
            ("bare Django view", bare.url + "/bare"),
            ("day, 20 staff (uncached)", uncached.url + day_path),
            ("day, 20 staff (cached)", app.url + day_path),
            ("month calendar (uncached)", uncached.url + month_path),
            ("month calendar (cached)", app.url + month_path),
        ]
        old = None
        if args.baseline:
            old = servers.enter_context(
                gunicorn(
                    "scale-old", "salonbook.wsgi", {**env, "CONTENT_CACHE": "false"}, root=_checkout(args.baseline)
                )
            )
            compared.insert(2, (f"day, 20 staff (uncached, {args.baseline})", old.url + day_path))
        for _, url in compared:
            _get(url)
        rounds: dict[str, list[LoadResult]] = {label: [] for label, _ in compared}
        for number in range(1, args.rounds + 1):
            log(f"round {number} of {args.rounds}")
            for label, url in compared:
                rounds[label].append(wrk(label, url, seconds=seconds, connections=connections))
        results = [_median(rounds[label]) for label, _ in compared]
        results.append(
            wrk(
                "month calendar (uncached), 1 client",
                uncached.url + month_path,
                seconds=seconds,
                connections=1,
                threads=1,
            )
        )
        results.append(_create("booking create", app.url, OUT / "scale_bodies_new.jsonl", seconds, connections))
        if old is not None:
            results.append(
                _create(
                    f"booking create ({args.baseline})", old.url, OUT / "scale_bodies_old.jsonl", seconds, connections
                )
            )

    bare_rps = results[0].rps
    print()
    print(f"{'path':<44}{'req/s':>9}{'x bare':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for result in results:
        print(
            f"{result.label:<44}{result.rps:>9.0f}{result.rps / bare_rps:>8.3f}"
            f"{result.p50_ms:>9.2f}{result.p99_ms:>9.2f}{result.errors:>8}"
        )
    report = {
        "results": [r.as_dict() for r in results],
        "bare_rps": bare_rps,
        "seconds": seconds,
        "rounds": args.rounds,
        "connections": connections,
        "baseline": args.baseline,
        "data": {k: summary[k] for k in ("staff", "slots", "bookings")},
        "day": day,
        "month": month,
    }
    (OUT / "scale_results.json").write_text(json.dumps(report, indent=2))
    log(f"figures written to {OUT / 'scale_results.json'}")


def _create(label: str, url: str, bodies: Path, seconds: int, connections: int) -> LoadResult:
    return wrk(
        label,
        url + "/api/bookings/",
        seconds=seconds,
        connections=connections,
        script="post_bodies.lua",
        script_args=[str(bodies), "2"],
    )


if __name__ == "__main__":
    main()
