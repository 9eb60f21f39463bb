"""Slow clients against the production recipe: does /api/health/live keep answering?

Starts the app under gunicorn with the production config (sync workers), and
nginx with deploy/nginx.conf in front of it (its own prefix and temp
directories under var/benchmarks/, on a spare port). For each target (gunicorn
alone, then nginx in front) it holds ``--header-clients`` connections that
send a request's headers one line a second and ``--body-clients`` that send a
large body one byte a second, for ``--seconds``; meanwhile a probe asks
/api/health/live every 0.25 s with a 1 s limit. It prints, per target, how
many probes answered within 1 s and the slowest; it exits 1 when any probe
through nginx did not.

Bounded on purpose: loopback only, at most 500 clients and 120 s.

    .venv/bin/python -m benchmarks.slow_clients [--header-clients 50 --body-clients 50 --seconds 30]
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import socket
import statistics
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.harness import OUT, ROOT, app_env, free_port, gunicorn, log, wait_for_port

HOST = "127.0.0.1"  # loopback only
MAX_CLIENTS = 500
MAX_SECONDS = 120
PROBE_LIMIT = 1.0
NGINX_CONF = ROOT / "deploy" / "nginx.conf"


def nginx_config(*, listen_port: int, upstream_port: int) -> str:
    """deploy/nginx.conf with its two addresses pointed at this machine."""
    text = NGINX_CONF.read_text()
    for marker, line in (
        ("# UPSTREAM", f"server {HOST}:{upstream_port};"),
        ("# LISTEN", f"listen {HOST}:{listen_port};"),
    ):
        lines = text.splitlines()
        index = next(i for i, current in enumerate(lines) if marker in current)
        indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
        lines[index] = indent + line
        text = "\n".join(lines) + "\n"
    return text


@contextlib.contextmanager
def nginx(*, upstream_port: int, prefix: Path, port: int | None = None) -> Iterator[int]:
    """nginx (Debian's package) with the repo's config, in a prefix of its own; yields its port."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    port = port or free_port()
    shutil.rmtree(prefix, ignore_errors=True)
    prefix.mkdir(parents=True)
    prefix.chmod(0o755)
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / name).mkdir()
        (prefix / name).chmod(0o777)  # workers may run as another user when started by root
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_config(listen_port=port, upstream_port=upstream_port))
    process = subprocess.Popen(
        [binary, "-p", str(prefix), "-c", str(conf), "-e", "stderr", "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=open(prefix / "error.log", "w"),
    )
    try:
        wait_for_port(port, timeout=10)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class SlowClients:
    """Connections that trickle a request: headers a line a second, or a body a byte a second."""

    port: int
    header_clients: int
    body_clients: int
    stop: threading.Event = field(default_factory=threading.Event)
    connections_made: int = 0

    def _open(self, slow_body: bool) -> socket.socket | None:
        try:
            sock = socket.create_connection((HOST, self.port), timeout=2)
        except OSError:
            return None
        self.connections_made += 1
        start = f"GET /api/health/live HTTP/1.1\r\nHost: {HOST}\r\n"
        if slow_body:
            start = (
                f"POST /api/bookings/ HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
                "Content-Length: 100000\r\n\r\n"
            )
        try:
            sock.sendall(start.encode())
        except OSError:
            sock.close()
            return None
        return sock

    def run(self) -> None:
        kinds = [False] * self.header_clients + [True] * self.body_clients
        socks: list[socket.socket | None] = [self._open(kind) for kind in kinds]
        while not self.stop.is_set():
            for i, kind in enumerate(kinds):
                sock = socks[i]
                try:
                    if sock is None:
                        raise OSError
                    sock.sendall(b"{" if kind else b"X-Slow: 1\r\n")
                except OSError:
                    # Dropped by a server timeout: come back, as an attacker would.
                    if sock is not None:
                        sock.close()
                    socks[i] = self._open(kind)
            self.stop.wait(1.0)
        for sock in socks:
            if sock is not None:
                sock.close()


def probe(port: int, seconds: float) -> list[float]:
    """Latencies of /api/health/live every 0.25 s for ``seconds``; a failure counts as the limit doubled."""
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        began = time.monotonic()
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/api/health/live", timeout=PROBE_LIMIT) as response:
                response.read()
                ok = response.status == 200
        except OSError:
            ok = False
        took = time.monotonic() - began
        latencies.append(took if ok else 2 * PROBE_LIMIT)
        time.sleep(max(0.0, 0.25 - took))
    return latencies


@dataclass
class Outcome:
    target: str
    probes: int
    within_limit: int
    slowest: float
    median: float
    connections: int

    def line(self) -> str:
        return (
            f"{self.target:<22} probes {self.probes:>4}  within {PROBE_LIMIT:.0f} s: {self.within_limit:>4} "
            f"({100 * self.within_limit / max(self.probes, 1):5.1f}%)  median {self.median * 1000:7.1f} ms  "
            f"slowest {'>1 s (failed)' if self.slowest > PROBE_LIMIT else f'{self.slowest * 1000:.1f} ms'}  "
            f"slow connections opened {self.connections}"
        )


def attack(target: str, port: int, *, header_clients: int, body_clients: int, seconds: float) -> Outcome:
    clients = SlowClients(port, header_clients, body_clients)
    thread = threading.Thread(target=clients.run, daemon=True)
    thread.start()
    time.sleep(2)  # let every slow connection open before measuring
    latencies = probe(port, seconds)
    clients.stop.set()
    thread.join(timeout=30)
    return Outcome(
        target=target,
        probes=len(latencies),
        within_limit=sum(1 for latency in latencies if latency <= PROBE_LIMIT),
        slowest=max(latencies),
        median=statistics.median(latencies),
        connections=clients.connections_made,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--header-clients", type=int, default=50)
    parser.add_argument("--body-clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--skip-direct", action="store_true", help="only through nginx")
    args = parser.parse_args(argv)
    if args.header_clients + args.body_clients > MAX_CLIENTS or not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"at most {MAX_CLIENTS} clients and {MAX_SECONDS} s")
    env = app_env(f"sqlite:///{OUT / 'slow-clients.sqlite3'}", redis_url=None)
    outcomes = []
    with gunicorn("slow-clients", "salonbook.wsgi", env) as server:
        if not args.skip_direct:
            log(f"gunicorn alone on :{server.port}")
            outcomes.append(
                attack("gunicorn alone", server.port, header_clients=args.header_clients,
                       body_clients=args.body_clients, seconds=args.seconds)
            )
            time.sleep(3)
        with nginx(upstream_port=server.port, prefix=OUT / "nginx") as port:
            log(f"nginx (deploy/nginx.conf) on :{port} in front")
            outcomes.append(
                attack("nginx -> gunicorn", port, header_clients=args.header_clients,
                       body_clients=args.body_clients, seconds=args.seconds)
            )
    print(f"{args.header_clients} slow-header and {args.body_clients} slow-body clients for {args.seconds:.0f} s")
    for outcome in outcomes:
        print(outcome.line())
    through_nginx = outcomes[-1]
    return 0 if through_nginx.within_limit == through_nginx.probes else 1


if __name__ == "__main__":
    raise SystemExit(main())
