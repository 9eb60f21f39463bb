"""Cached anonymous reads: what keeps a hot read cheap, in one place.

The budget: a cached availability or business-info read costs ONE round trip
to Redis and NO SQL query. That round trip is one pipeline holding

- the rate-limit count (``salonbook.ratelimit``: one script for every scope),
- the content cache's read (``salonbook.cache``: an ``MGET`` of every entry
  the answer needs with the entries' version keys, all in the salon's hash
  slot, and one of the epoch and the business-info version),

and its metrics (route timing, the cache hits) are counted in the process
and written by ``monitoring.metrics``'s background flush, not per request.
``slots/tests/test_api_round_trips.py`` counts the round trips and queries.

The answers are kept rendered: an entry holds the JSON bytes the view sends
(``rendered()``), so a hit runs no serialiser or renderer (``json_answer()``).

Neither the cache nor the limiter knows the other: ``count_and_read`` asks
the limiter for its counter command and the cache for the keys it reads,
sends both in one pipeline, and hands each its reply. When they are not on
the same Redis, or the cache is skipped after a failure, each does its own
round trip and the answer is the same.

On a Redis Cluster (``REDIS_CLUSTER``) the same pipeline goes to the nodes
owning the counter's slot, the salon's slot and the global one: redis-py
writes to each of them before reading any reply, so the read still waits for
one round trip, and each node gets one command.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.http import HttpResponse
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer

from salonbook.api.base import ApiView
from salonbook.cache import Entries, Found, PipelinedRead, pipelined_read, read_entries
from salonbook.ratelimit import STORE_ERRORS, RedisCount, count, redis_count


def count_and_read(request: Any, *, scopes: Sequence[str], entries: Entries) -> Found:
    """Count ``request`` against ``scopes`` and read the cache ``entries``
    (``(key, versions)`` pairs), in one round trip when both are on one Redis.

    Returns what was read, for ``cached(..., found=...)``. Raises
    ``RateLimitExceeded`` over a limit, and ``RateLimitUnavailable`` when the
    counters are down and the limits fail closed.
    """
    counter = redis_count(request, scopes)
    read = pipelined_read(entries) if counter is not None else None
    if counter is not None and read is not None and read.location == counter.location:
        return _in_one_round_trip(counter, read)
    if counter is not None:
        counter.run()
    else:
        count(request, scopes)
    return read_entries(entries)


def _in_one_round_trip(counter: RedisCount, read: PipelinedRead) -> Found:
    pipe = counter.client.pipeline(transaction=False)
    counter.queue(pipe)
    read.queue(pipe)
    try:
        counts, *values = pipe.execute(raise_on_error=False)
    except STORE_ERRORS as error:  # the connection itself
        found = read.failed(error)
        counter.failed(error)
        return found
    errors = [value for value in values if isinstance(value, Exception)]
    found = read.failed(errors[0]) if errors else read.found(values)
    if isinstance(counts, Exception):
        counter.failed(counts)
    else:
        counter.settle(counts)
    return found


class CachedReadView(ApiView):
    """An anonymous read answered from the content cache.

    Its ``get()`` starts with ``self.count_and_read(request, entries)``: the
    request is counted there, with the cache read, instead of right after
    authentication as other views are. Nothing between the two can refuse a
    request (anyone may read, and no DRF throttles run), so every request is
    still counted; a failed authentication is counted where it fails, other
    methods (405) as in every view.
    """

    permission_classes = [AllowAny]

    def perform_authentication(self, request) -> None:
        if request.method not in ("GET", "HEAD"):
            super().perform_authentication(request)
            return
        try:
            request.user  # noqa: B018 - DRF authenticates on first access
        except Exception:
            count(request, self.rate_limit_scopes(request))
            raise

    def count_and_read(self, request, entries: Entries) -> Found:
        """Count this request and read ``entries`` (see ``count_and_read``)."""
        return count_and_read(request, scopes=self.rate_limit_scopes(request), entries=entries)


def render_json(data: Any) -> bytes:
    """``data`` as an API answer's body, byte for byte what ``Response(data)`` sends."""
    return JSONRenderer().render(data)


def rendered(build: Callable[[], Any]) -> Callable[[], bytes | None]:
    """``build`` made to return its answer rendered, for the cache to keep
    (None, "no such thing", stays None)."""

    def build_rendered() -> bytes | None:
        data = build()
        return None if data is None else render_json(data)

    return build_rendered


def json_answer(body: bytes) -> HttpResponse:
    """A 200 answer whose body ``rendered()`` made earlier: no serialiser or
    renderer runs again."""
    return HttpResponse(body, content_type="application/json")
