"""What every benchmark and fault script shares: a throwaway database, the
app and the baseline under gunicorn, and wrk with its output parsed."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
OUT = ROOT / "var" / "benchmarks"
# Production settings serve static files from collectstatic's manifest, and
# the app refuses to start without it: the benchmarks collect them here once.
STATIC_ROOT = OUT / "static"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://root@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
CORES = os.cpu_count() or 2
WORKERS = 2 * CORES + 1


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {host}:{port} after {timeout} s")


def pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


def recreate_database(name: str) -> str:
    """An empty PostgreSQL database ``name``; returns its URL."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_url(name)


def app_env(database_url: str, redis_url: str | None = REDIS_URL, **extra: str) -> dict[str, str]:
    """Production settings, with limits high enough that the load generator,
    one client, is counted but never refused."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "salonbook.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "RATE_LIMIT_API": "100000000/m",
        "RATE_LIMIT_BOOKINGS": "100000000/m",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESSLOG": "/dev/null",
        "STATIC_ROOT": str(STATIC_ROOT),
    }
    env.pop("CELERY_BROKER_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def gunicorn(
    name: str, app: str, env: dict[str, str], port: int | None = None, workers: int = WORKERS, root: Path = ROOT
) -> Iterator[Server]:
    """``app`` under gunicorn with the project's production config; ``root``:
    the checkout to serve (another version of the code, to compare)."""
    port = port or free_port()
    if not (STATIC_ROOT / "staticfiles.json").exists():
        manage(env, "collectstatic", "--noinput", "-v", "0")
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)}
    OUT.mkdir(parents=True, exist_ok=True)
    logfile = open(OUT / f"{name}.log", "w")
    process = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "--config", "salonbook/gunicorn.conf.py", app],
        cwd=root,
        env=env,
        stdout=logfile,
        stderr=subprocess.STDOUT,
    )
    server = Server(name, port, process)
    try:
        wait_for_port(port)
        yield server
    finally:
        server.stop()
        logfile.close()


# --- wrk ---------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass
class LoadResult:
    label: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx/3xx answers plus socket errors
    max_ms: float = 0.0

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "requests": self.requests,
            "errors": self.errors,
            "max_ms": round(self.max_ms, 2),
        }


def wrk_command(
    url: str,
    *,
    seconds: int,
    connections: int = 16,
    threads: int = 2,
    script: str | None = None,
    script_args: list[str] | None = None,
) -> list[str]:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script:
        command += ["-s", str(ROOT / "benchmarks" / "lua" / script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    return command


def wrk(
    label: str,
    url: str,
    *,
    seconds: int = 10,
    connections: int = 16,
    threads: int = 2,
    script: str | None = None,
    script_args: list[str] | None = None,
) -> LoadResult:
    command = wrk_command(
        url, seconds=seconds, connections=connections, threads=threads, script=script, script_args=script_args
    )
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    return parse_wrk(label, output)


def _field(pattern: str, output: str) -> str:
    """The first group of a line wrk always prints; a missing one is a broken run."""
    match = re.search(pattern, output, re.M)
    if match is None:
        raise RuntimeError(f"wrk printed no line matching {pattern!r}:\n{output}")
    return match.group(1)


def parse_wrk(label: str, output: str) -> LoadResult:
    rps = float(_field(r"Requests/sec:\s+([\d.]+)", output))
    requests = int(_field(r"(\d+) requests in", output))
    # Anchored: "+/- Stdev" percentages of the Req/Sec line must not match.
    p50 = _ms(_field(r"^\s+50%\s+(\S+)", output))
    p99 = _ms(_field(r"^\s+99%\s+(\S+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    max_ms = _ms(_field(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", output))
    return LoadResult(label, rps, p50, p99, requests, errors, max_ms)
