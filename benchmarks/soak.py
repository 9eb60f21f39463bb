"""Soak: half the measured maximum load for a long while (10 minutes by
default) over the customers' read paths. Passes when under 0.1% of requests
fail and no gunicorn worker's memory grew by 10% or more.

Workers are not recycled during the run (``max_requests`` off), so a leak
shows instead of being reset.

    .venv/bin/python -m benchmarks.soak [--minutes 10]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.faults import _paths, request
from benchmarks.harness import app_env, gunicorn, log, manage, parse_wrk, recreate_database, wrk, wrk_command


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Soak at half load.")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()

    database_url = recreate_database("salonbook_soak")
    env = app_env(database_url, redis_url="redis://127.0.0.1:6379/5", GUNICORN_MAX_REQUESTS="0")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo")
    with gunicorn("soak", "salonbook.wsgi", env) as app:
        paths = _paths(app.url)
        for path in paths:
            request(app.url + path)
        peak = wrk("peak", app.url, seconds=10, connections=args.connections, script="rotate_paths.lua", script_args=paths)
        pace = max(1, round(args.connections * 1000 / (peak.rps / 2)))
        # Warm up at the soak pace before the first memory reading.
        wrk("warm-up", app.url, seconds=30, connections=args.connections, script="rotate_paths.lua", script_args=[*paths, f"pace={pace}"])
        workers = app.worker_pids()
        before = {pid: rss_kib(pid) for pid in workers}
        seconds = int(args.minutes * 60)
        log(f"soak: {seconds} s at about {peak.rps / 2:.0f} req/s (peak {peak.rps:.0f}), {len(workers)} workers")
        command = wrk_command(
            app.url, seconds=seconds, connections=args.connections, script="rotate_paths.lua", script_args=[*paths, f"pace={pace}"]
        )
        started = time.monotonic()
        output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120).stdout
        after = {pid: rss_kib(pid) for pid in workers}
    result = parse_wrk("soak", output)
    error_rate = result.errors / max(1, result.requests)
    growth = {pid: (after[pid] - before[pid]) / before[pid] for pid in workers if before[pid] and after.get(pid)}
    worst = max(growth.values()) if growth else 0.0
    print(f"\nsoak: {result.requests} requests in {time.monotonic() - started:.0f} s, {result.rps:.0f} req/s, "
          f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, max {result.max_ms:.0f} ms")
    for pid in workers:
        print(f"  worker {pid}: {before[pid] / 1024:.1f} MiB -> {after.get(pid, 0) / 1024:.1f} MiB")
    checks = [
        (f"error rate {error_rate:.4%} (< 0.1%)", error_rate < 0.001),
        (f"largest worker memory growth {worst:.1%} (< 10%)", worst < 0.10),
    ]
    for text, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
