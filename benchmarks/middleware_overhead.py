"""What the monitoring middleware costs per request, measured with and without it.

Runs the project's WSGI handler in-process (no network, no server) against
the liveness view, alternating rounds with and without
``RequestMonitoringMiddleware`` so both see the same machine state, and
prints the median time per request of each and the difference.

    .venv/bin/python benchmarks/middleware_overhead.py                 # local metrics
    REDIS_URL=redis://127.0.0.1:6379/10 .venv/bin/python benchmarks/middleware_overhead.py

With ``REDIS_URL`` set the metrics go to Redis, written by the process's
background flush once a second rather than by the request itself.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salonbook.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.test import override_settings  # noqa: E402

from monitoring.metrics import store as metrics  # noqa: E402

MONITORING = "monitoring.middleware.RequestMonitoringMiddleware"


def environ(path: str) -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def handler_for(middleware: list[str]) -> WSGIHandler:
    with override_settings(MIDDLEWARE=middleware):
        return WSGIHandler()


def one_round(handler: WSGIHandler, path: str, requests: int) -> list[float]:
    timings = []
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    for _ in range(requests):
        started = time.perf_counter()
        response = handler(environ(path), start_response)
        for _chunk in response:
            pass
        response.close()
        timings.append(time.perf_counter() - started)
    assert all(status.startswith("200") for status in statuses), statuses[:3]
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--path", default="/api/health/live")
    args = parser.parse_args()

    with_monitoring = list(settings.MIDDLEWARE)
    if MONITORING not in with_monitoring:
        with_monitoring.insert(0, MONITORING)
    without = [name for name in with_monitoring if name != MONITORING]
    handlers = {"with": handler_for(with_monitoring), "without": handler_for(without)}

    for handler in handlers.values():  # warm up imports, URL resolver, Redis connection
        one_round(handler, args.path, 200)

    samples: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(args.rounds):
        for name in ("without", "with"):
            samples[name].extend(one_round(handlers[name], args.path, args.requests))

    store = metrics.get_store()
    median = {name: statistics.median(values) * 1e6 for name, values in samples.items()}
    p90 = {name: statistics.quantiles(values, n=10)[-1] * 1e6 for name, values in samples.items()}
    print(f"path {args.path}, {args.rounds} x {args.requests} requests each, metrics store: "
          f"{'redis' if store.uses_redis else 'in-process'}")
    for name in ("without", "with"):
        print(f"  {name:8s} monitoring: median {median[name]:7.1f} us   p90 {p90[name]:7.1f} us")
    print(f"  overhead: median {median['with'] - median['without']:.1f} us per request, "
          f"p90 {p90['with'] - p90['without']:.1f} us")


if __name__ == "__main__":
    main()
