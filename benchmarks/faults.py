"""Faults under load: Redis stopped and started, PostgreSQL restarted, a
Celery worker killed. Each check exits non-zero when the product breaks its
promise.

    .venv/bin/python -m benchmarks.faults redis [--outage 30]
    .venv/bin/python -m benchmarks.faults postgres
    .venv/bin/python -m benchmarks.faults worker
    .venv/bin/python -m benchmarks.faults all

The app runs under gunicorn with production settings; Redis and PostgreSQL
are instances of their own on spare ports, so stopping them touches nothing
else on the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from benchmarks.harness import (
    PYTHON,
    ROOT,
    app_env,
    free_port,
    gunicorn,
    log,
    manage,
    parse_wrk,
    recreate_database,
    wait_for_port,
    wrk_command,
)

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


# --- Services of our own ---------------------------------------------------------


@contextlib.contextmanager
def own_redis() -> Iterator[tuple[int, Callable[[], None], Callable[[], None]]]:
    """A redis-server on a spare port, with stop() and start()."""
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    state: dict[str, subprocess.Popen | None] = {"process": None}

    def start() -> None:
        state["process"] = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(port)

    def stop() -> None:
        process = state["process"]
        if process and process.poll() is None:
            process.kill()
            process.wait()

    start()
    try:
        yield port, stop, start
    finally:
        stop()


@contextlib.contextmanager
def own_postgres() -> Iterator[tuple[int, Callable[[], None], Callable[[], None]]]:
    """A PostgreSQL cluster in a temporary folder on a spare port, with stop() and start()."""
    folder = Path(tempfile.mkdtemp(prefix="salonbook-pg-"))
    data = folder / "data"
    port = free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    subprocess.run(
        [*as_postgres, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    ctl = [*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w"]
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"

    def start() -> None:
        subprocess.run([*ctl, "-o", options, "start"], check=True, capture_output=True)

    def stop() -> None:
        subprocess.run([*ctl, "-m", "fast", "stop"], capture_output=True)

    start()
    try:
        yield port, stop, start
    finally:
        stop()
        shutil.rmtree(folder, ignore_errors=True)


# --- HTTP -----------------------------------------------------------------------


def request(url: str, *, method: str = "GET", body: dict | None = None, token: str | None = None, timeout=10):
    """(status, parsed JSON or text, seconds)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = json.dumps(body).encode() if body is not None else None
    started = time.monotonic()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method), timeout=timeout) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    took = time.monotonic() - started
    try:
        return status, json.loads(raw), took
    except ValueError:
        return status, raw.decode(errors="replace"), took


def admin_token(env: dict[str, str]) -> str:
    return manage(env, "issue_api_token", "admin").strip()


def _cache_counts(base: str, token: str) -> tuple[int, int] | None:
    status, body, _ = request(base + "/api/metrics", token=token)
    if status != 200 or not isinstance(body, dict):
        return None
    return body["cache"]["hits"], body["cache"]["misses"]


def _paths(base: str) -> list[str]:
    _, services, _ = request(base + "/api/salons/demo/services/")
    items = services["results"] if isinstance(services, dict) and "results" in services else services
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 3 * 86400))
    paths = ["/api/salons/demo/", "/api/salons/demo/staff/"]
    paths += [f"/api/salons/demo/availability/?date={day}&service={s['id']}" for s in items]
    return paths


# --- Redis ------------------------------------------------------------------------


def redis_outage(outage: int = 30, connections: int = 8, pace_ms: int = 10) -> bool:
    """Redis down for ``outage`` seconds under load: >= 99% answered, none over
    a second, and the cache hit ratio back within one availability TTL."""
    database_url = recreate_database("salonbook_faults")
    with own_redis() as (port, stop_redis, start_redis):
        env = app_env(database_url, redis_url=f"redis://127.0.0.1:{port}/0")
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "seed_demo")
        token = admin_token(env)
        with gunicorn("faults-redis", "salonbook.wsgi", env) as app:
            paths = _paths(app.url)
            for path in paths:
                request(app.url + path)
            before, after = 10, 30
            total = before + outage + after
            command = wrk_command(
                app.url,
                seconds=total,
                connections=connections,
                script="rotate_paths.lua",
                script_args=[*paths, f"pace={pace_ms}"],
            )
            load = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
            samples: list[tuple[float, tuple[int, int] | None]] = []
            stop_sampling = threading.Event()

            def sample() -> None:
                while not stop_sampling.is_set():
                    samples.append((time.monotonic(), _cache_counts(app.url, token)))
                    stop_sampling.wait(2)

            sampler = threading.Thread(target=sample)
            started = time.monotonic()
            sampler.start()
            time.sleep(before)
            log(f"stopping Redis for {outage} s")
            stop_redis()
            down_health = request(app.url + "/api/health")
            time.sleep(outage)
            start_redis()
            restarted = time.monotonic()
            log("Redis is back")
            output, _ = load.communicate(timeout=total + 60)
            stop_sampling.set()
            sampler.join()
            up_health = request(app.url + "/api/health")

    result = parse_wrk("redis outage", output)
    answered = 1 - result.errors / max(1, result.requests)
    recovered_after = _recovery_time(samples, restarted)
    checks = [
        (f"answered {answered:.2%} of {result.requests} requests (>= 99%)", answered >= 0.99),
        (f"slowest request {result.max_ms:.0f} ms (<= 1000 ms)", result.max_ms <= 1000),
        (f"health while down: {down_health[0]} {_status(down_health)}", down_health[0] == 200 and _status(down_health) == "degraded"),
        (f"health after: {up_health[0]} {_status(up_health)}", up_health[0] == 200 and _status(up_health) == "healthy"),
        (
            f"cache hit ratio back over 90% {recovered_after:.0f} s after Redis returned (<= 300 s)"
            if recovered_after is not None
            else "cache hit ratio never got back over 90%",
            recovered_after is not None and recovered_after <= 300,
        ),
    ]
    log(f"load: {result.rps:.0f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, {time.monotonic() - started:.0f} s")
    return _report("Redis outage", checks)


def _status(answer) -> str:
    return answer[1].get("status", "?") if isinstance(answer[1], dict) else "?"


def _recovery_time(samples, restarted: float) -> float | None:
    """Seconds from the restart to the first 2-second window with >= 90% hits."""
    after = [(t, c) for t, c in samples if t >= restarted and c is not None]
    for (_, (h0, m0)), (t1, (h1, m1)) in zip(after, after[1:]):
        hits, misses = h1 - h0, m1 - m0
        if hits >= 0 and misses >= 0 and hits + misses > 0 and hits / (hits + misses) >= 0.9:
            return t1 - restarted
    return None


# --- PostgreSQL ----------------------------------------------------------------------


def postgres_restart() -> bool:
    """PostgreSQL down: health 503 unhealthy, the API 503 in the envelope with
    no trace; back up: everything answers again with no app restart."""
    with own_postgres() as (port, stop_pg, start_pg):
        database_url = f"postgres://postgres@127.0.0.1:{port}/postgres"
        env = app_env(database_url, redis_url="redis://127.0.0.1:6379/7")
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "seed_demo")
        with gunicorn("faults-postgres", "salonbook.wsgi", env) as app:
            slot = _a_free_start(app.url)
            up_before = request(app.url + "/api/health")
            log("stopping PostgreSQL")
            stop_pg()
            down_health = request(app.url + "/api/health")
            down_booking = request(app.url + "/api/bookings/", method="POST", body=slot)
            down_info = request(app.url + "/api/salons/")
            log("starting PostgreSQL")
            start_pg()
            deadline = time.monotonic() + 30
            up_after = request(app.url + "/api/health")
            while up_after[0] != 200 and time.monotonic() < deadline:
                time.sleep(1)
                up_after = request(app.url + "/api/health")
            booked = request(app.url + "/api/bookings/", method="POST", body=slot)

    def enveloped_503(answer) -> bool:
        status, body, _ = answer
        text = json.dumps(body)
        return status == 503 and isinstance(body, dict) and "error" in body and "Traceback" not in text

    checks = [
        (f"health before: {up_before[0]}", up_before[0] == 200),
        (f"health while down: {down_health[0]} {_status(down_health)} in {down_health[2]:.2f} s", down_health[0] == 503 and _status(down_health) == "unhealthy"),
        (f"booking while down: {down_booking[0]} {_short(down_booking)}", enveloped_503(down_booking)),
        (f"salon list while down: {down_info[0]} {_short(down_info)}", enveloped_503(down_info)),
        (f"slowest answer while down {max(a[2] for a in (down_health, down_booking, down_info)):.2f} s (<= 5 s)", max(a[2] for a in (down_health, down_booking, down_info)) <= 5),
        (f"health after restart: {up_after[0]}", up_after[0] == 200),
        (f"booking after restart: {booked[0]}", booked[0] == 201),
    ]
    return _report("PostgreSQL restart", checks)


def _short(answer) -> str:
    body = answer[1]
    return json.dumps(body)[:120] if isinstance(body, dict) else str(body)[:120]


def _a_free_start(base: str) -> dict:
    _, services, _ = request(base + "/api/salons/demo/services/")
    items = services["results"] if isinstance(services, dict) and "results" in services else services
    service = items[0]["id"]
    for days in range(2, 10):
        day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + days * 86400))
        _, free, _ = request(base + f"/api/salons/demo/availability/?date={day}&service={service}")
        if free.get("slots"):
            first = free["slots"][0]
            return {
                "salon": "demo",
                "service": service,
                "staff": first["staff"],
                "start": first["start"],
                "customer_name": "Fault Test",
                "customer_phone": "+447911123456",
            }
    raise RuntimeError("no free start in the demo salon")


# --- Celery worker ----------------------------------------------------------------------


def worker_kill() -> bool:
    """A worker SIGKILLed mid-batch: every message of every kind reaches the provider once.

    The product's own integration test does exactly this against a real
    worker, Redis broker and a fake provider; run it here on PostgreSQL.
    """
    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get("TEST_DATABASE_URL", "postgres://root@127.0.0.1:5432/test"),
        "REDIS_URL": "redis://127.0.0.1:6379/6",
        "TEST_REDIS_URL": "redis://127.0.0.1:6379/6",
        "TEST_DB_SUFFIX": "_faults",
        "REQUIRE_SERVICES": "1",
    }
    result = subprocess.run(
        [PYTHON, "-m", "pytest", "-q", "-s", "bookings/tests/test_worker_kill.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    tail = "\n".join(result.stdout.strip().splitlines()[-6:])
    print(tail)
    return _report("Celery worker killed", [("messages exactly once after SIGKILL (integration test)", result.returncode == 0)])


def _report(name: str, checks: list[tuple[str, bool]]) -> bool:
    print(f"\n{name}")
    for text, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    return all(ok for _, ok in checks)


def main() -> int:
    parser = argparse.ArgumentParser(description="Fault runs under load.")
    parser.add_argument("fault", choices=["redis", "postgres", "worker", "all"])
    parser.add_argument("--outage", type=int, default=30, help="seconds Redis stays down")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections for the Redis outage load")
    parser.add_argument("--pace", type=int, default=10, help="milliseconds between a connection's requests")
    args = parser.parse_args()
    runs = {
        "redis": lambda: redis_outage(args.outage, args.connections, args.pace),
        "postgres": postgres_restart,
        "worker": worker_kill,
    }
    chosen = runs if args.fault == "all" else {args.fault: runs[args.fault]}
    results = {name: run() for name, run in chosen.items()}
    print("\n" + ("PASS" if all(results.values()) else "FAIL: " + ", ".join(n for n, ok in results.items() if not ok)))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
