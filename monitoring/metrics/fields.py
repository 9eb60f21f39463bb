"""The names counts are kept under: one field of the store's Redis hash per
series, written by ``recording`` and read back by ``snapshot``.

A field is a kind followed by its labels, joined by a tab (routes and labels
never contain one)::

    req     method  route  status   requests answered with that status
    lat     method  route  bucket   requests whose time fell in that bucket: an
                                    index into LATENCY_BUCKETS, not cumulative
    latsum  method  route           seconds spent on those requests (a float)
    ev      kind    label           events: ("booking", "created"),
                                    ("cache_hit", "availability"), ...

Routes are URL patterns (``/api/bookings/<reference>/``), never raw paths, so
ids and slugs do not multiply the series. Dashboards and benchmarks read these
fields from Redis: change them and their numbers start again from zero.
"""

from __future__ import annotations

import math

SEP = "\t"

REQUEST = "req"
LATENCY_BUCKET = "lat"
LATENCY_SUM = "latsum"
EVENT = "ev"

# Prometheus' default buckets, in seconds: fine below 100 ms where our reads
# live, coarse above 1 s where only something broken goes.
LATENCY_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, math.inf,
)


def latency_bucket_index(seconds: float) -> int:
    """The first bucket whose upper bound holds ``seconds``."""
    for index, bound in enumerate(LATENCY_BUCKETS):
        if seconds <= bound:
            return index
    return len(LATENCY_BUCKETS) - 1


def request_field(method: str, route: str, status: int | str) -> str:
    return SEP.join((REQUEST, method, route, str(status)))


def latency_bucket_field(method: str, route: str, seconds: float) -> str:
    return SEP.join((LATENCY_BUCKET, method, route, str(latency_bucket_index(seconds))))


def latency_sum_field(method: str, route: str) -> str:
    return SEP.join((LATENCY_SUM, method, route))


def event_field(kind: str, label: str) -> str:
    return SEP.join((EVENT, kind, label))


def holds_seconds(field: str) -> bool:
    """Latency sums are added as floats; every other field counts whole numbers."""
    return field.startswith(LATENCY_SUM + SEP)
