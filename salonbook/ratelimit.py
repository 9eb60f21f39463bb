"""Per-client request limits for the API: fixed windows, counted in Redis.

Two scopes: ``api`` (``RATE_LIMIT_API``, every API request) and ``bookings``
(``RATE_LIMIT_BOOKINGS``, booking creation on top of ``api``, counted with it
in one go). A rate reads ``"100/m"``: 100 requests per minute; ``"10/5m"``:
10 per five minutes. A client is the user when the request is authenticated,
else its IP address; the ``X-Forwarded-For`` header is believed only when
``TRUSTED_PROXY`` says a proxy we run sets it.

Each scope counts in fixed windows that start on the period's multiples of
Unix time (a minute's window starts at :00). The window's counter is the key
``rl:{c:<client>}:<scope>:<period>:<window start>`` in the cache alias
``RATELIMIT_USE_CACHE``; ``Retry-After`` is the time left in the window.

- On Redis (django-redis), one Lua script (``COUNT_SCRIPT``) counts every
  scope of the request: INCR the window's counter, EXPIRE it when the INCR
  created it, stop at the first scope over its limit. It is one command, so
  ``salonbook.api.cached_reads`` can send it in the same pipeline as the
  content cache's read (``RedisCount``).
- On any other cache (local memory when no ``REDIS_URL`` is set: one
  development process), by the cache API's ``add`` and ``incr``.

Both are exact under concurrency: INCR (and local memory's ``incr``) is atomic,
so every request gets its own number and no two share one.

Errors of the counter store are seen, never swallowed: the Redis client is
used directly, not through the alias's ``IGNORE_EXCEPTIONS``. When the store
cannot be reached, ``RATE_LIMIT_FAIL_OPEN`` decides: let the request through
(the default, so a Redis outage never takes the salon offline), logged and
counted through ``rate_limit_failed_open``; or refuse it with 503.
``RATELIMIT_ENABLE = False`` switches counting off (tests of other things).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django_ratelimit.exceptions import Ratelimited
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.cluster import RedisCluster
from redis.exceptions import RedisError

from salonbook.errors import DomainError
from salonbook.events import rate_limit_failed_open, rate_limited, send_now
from salonbook.redis_clients import client_tag

logger = logging.getLogger("salonbook.ratelimit")

SCOPES = {"api": "RATE_LIMIT_API", "bookings": "RATE_LIMIT_BOOKINGS", "webhooks": "RATE_LIMIT_WEBHOOKS"}

# What a broken counter store raises.
STORE_ERRORS = (RedisError, ConnectionInterrupted, OSError)

_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}
_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")

# A counter outlives its window by a few seconds, so a request at the very end
# of a window never finds its counter gone.
EXPIRY_MARGIN = 5


class RateLimitExceeded(Ratelimited):
    """Over a limit. django-ratelimit's public ``Ratelimited`` (a
    ``PermissionDenied``), which the API's exception handler maps to 429."""

    def __init__(self, *, scope: str, retry_after: int) -> None:
        super().__init__(f"Rate limit '{scope}' exceeded.")
        self.scope = scope
        self.retry_after = retry_after


class RateLimitUnavailable(DomainError):
    """The counters cannot be read and the limits are set to fail closed."""

    code = "rate_limit_unavailable"
    status = 503
    default_message = "The service is briefly unavailable; please try again shortly."


def parse_rate(rate: str) -> tuple[int, int]:
    """``"100/m"`` -> (100, 60): the limit and the window in seconds."""
    match = _RATE.match(rate)
    if match is None:
        raise ValueError(f"a rate looks like '100/m' or '10/5m', got {rate!r}")
    limit, multiple, unit = match.groups()
    return int(limit), int(multiple or 1) * _PERIOD_SECONDS[unit]


def client_ip(request: Any) -> str:
    """The client's address: the proxy's last hop when we sit behind a trusted one.

    The last ``X-Forwarded-For`` entry is the one our own proxy appended; any
    earlier ones come from the client and can be forged.
    """
    if getattr(settings, "TRUSTED_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR") or "unknown"


def client_key(request: Any) -> str:
    """Who is counted: the user when authenticated, else the IP address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


@dataclass(frozen=True)
class Window:
    """One scope's current window for one client."""

    scope: str
    limit: int
    period: int
    start: int  # Unix time
    key: str  # the counter's name in the cache alias, before its prefix

    def retry_after(self, now: float) -> int:
        return max(1, int(self.start + self.period - now))


def windows(request: Any, scopes: Sequence[str], *, now: float) -> list[Window]:
    """The windows ``request`` counts in at ``now``, one per scope."""
    client = client_key(request)
    found = []
    for scope in scopes:
        limit, period = parse_rate(getattr(settings, SCOPES[scope]))
        start = int(now) - int(now) % period
        found.append(Window(scope, limit, period, start, f"rl:{client_tag(client)}:{scope}:{period}:{start}"))
    return found


def _store() -> Any:
    return caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]


def limits_on() -> bool:
    return getattr(settings, "RATELIMIT_ENABLE", True)


# --- Over a limit, or the store down -------------------------------------------------------


def _over(window: Window, now: float) -> None:
    send_now(rate_limited, sender=__name__, scope=window.scope)
    raise RateLimitExceeded(scope=window.scope, retry_after=window.retry_after(now))


class _Throttled:
    """Logs a store outage at most every ``interval`` seconds per process: the
    metrics count every let-through request, the log need not repeat them."""

    def __init__(self, interval: float = 30.0) -> None:
        self.interval = interval
        self._last = 0.0
        self._suppressed = 0
        self._lock = threading.Lock()

    def warn(self, message: str, **extra: Any) -> None:
        with self._lock:
            now = time.monotonic()
            if now - self._last < self.interval:
                self._suppressed += 1
                return
            suppressed, self._suppressed, self._last = self._suppressed, 0, now
        logger.warning(message, extra={**extra, "suppressed_since_last": suppressed})


_outage_log = _Throttled()


def store_failed(scopes: Sequence[str], error: BaseException) -> None:
    """The counters could not be reached: let the request through, logged and
    counted per scope, or refuse it (``RATE_LIMIT_FAIL_OPEN = False``)."""
    for scope in scopes:
        if not getattr(settings, "RATE_LIMIT_FAIL_OPEN", True):
            logger.error("rate-limit store unavailable; refusing request", extra={"scope": scope})
            raise RateLimitUnavailable(details={"scope": scope})
        _outage_log.warn(
            "rate-limit store unavailable; letting requests through unlimited",
            scope=scope,
            error=type(error).__name__,
        )
        send_now(rate_limit_failed_open, sender=__name__, scope=scope)


# --- Counting on Redis ------------------------------------------------------------------

# KEYS: one window counter per scope; ARGV: limit, seconds to keep, per key.
# Counts scope after scope and stops at the first one over its limit, as
# checking them one by one would.
COUNT_SCRIPT = """
local counts = {}
for i, key in ipairs(KEYS) do
    local count = redis.call('INCR', key)
    if count == 1 then
        redis.call('EXPIRE', key, ARGV[2 * i])
    end
    counts[i] = count
    if count > tonumber(ARGV[2 * i - 1]) then
        break
    end
end
return counts
"""


class RedisCount:
    """One request's count on Redis as a single command for a pipeline:
    ``queue(pipe)``, then ``settle(reply)`` with its reply, or ``failed(error)``.

    The script is sent with EVAL every time (Redis keeps it compiled by its
    hash): a few hundred bytes, and no "script not loaded" after a restart.
    """

    def __init__(self, cache: RedisCache, found: list[Window], now: float) -> None:
        self.windows = found
        self.now = now
        self.client = cache.client.get_client(write=True)
        self.location = settings.CACHES[getattr(settings, "RATELIMIT_USE_CACHE", "default")].get("LOCATION")
        self._keys = [cache.make_key(window.key) for window in found]
        self._args = [n for window in found for n in (window.limit, window.period + EXPIRY_MARGIN)]

    def queue(self, pipe: Any) -> None:
        # As a plain command: a Redis Cluster's pipeline has no eval() method.
        # Its keys (one client's, in one hash slot) name the node; told the
        # node, the pipeline does not first ask a server (COMMAND GETKEYS)
        # where a script's keys are, a round trip of its own.
        options = {}
        if isinstance(self.client, RedisCluster):
            options["target_nodes"] = self.client.get_node_from_key(self._keys[0])
        pipe.execute_command("EVAL", COUNT_SCRIPT, len(self._keys), *self._keys, *self._args, **options)

    def settle(self, counts: Sequence[int]) -> None:
        """Raise ``RateLimitExceeded`` for the first scope over its limit."""
        for window, count in zip(self.windows, counts):
            if int(count) > window.limit:
                _over(window, self.now)

    def failed(self, error: BaseException) -> None:
        store_failed([window.scope for window in self.windows], error)

    def run(self) -> None:
        """Count in a round trip of its own."""
        pipe = self.client.pipeline(transaction=False)
        self.queue(pipe)
        try:
            (counts,) = pipe.execute()
        except STORE_ERRORS as error:
            self.failed(error)
            return
        self.settle(counts)


def redis_count(request: Any, scopes: Sequence[str]) -> RedisCount | None:
    """The count of ``request`` against ``scopes`` as one Redis command; None
    when limits are off, there is no scope, or the counters are not on Redis."""
    if not scopes or not limits_on():
        return None
    store = _store()
    if not isinstance(store, RedisCache):
        return None
    now = time.time()
    return RedisCount(store, windows(request, scopes, now=now), now)


# --- Counting anywhere --------------------------------------------------------------------


def count(request: Any, scopes: Sequence[str]) -> None:
    """Count ``request`` against each of ``scopes``, in one round trip on Redis;
    raise ``RateLimitExceeded`` at the first scope over its limit.

    Call once the request is authenticated, so a token user counts as that
    user and not as an anonymous address.
    """
    on_redis = redis_count(request, scopes)
    if on_redis is not None:
        on_redis.run()
    elif scopes and limits_on():
        _count_with_cache_api(request, scopes)


def _count_with_cache_api(request: Any, scopes: Sequence[str]) -> None:
    store = _store()
    now = time.time()
    for window in windows(request, scopes, now=now):
        try:
            number = _incr(store, window)
        except STORE_ERRORS as error:
            store_failed([window.scope], error)
            continue
        if number > window.limit:
            _over(window, now)


def _incr(store: Any, window: Window) -> int:
    timeout = window.period + EXPIRY_MARGIN
    if store.add(window.key, 1, timeout):
        return 1
    try:
        return store.incr(window.key)
    except ValueError:  # expired between add() and incr(): a new window's first request
        store.add(window.key, 1, timeout)
        return 1


def usage(request: Any, scope: str) -> int:
    """How many requests ``request``'s client made in ``scope``'s current window."""
    (window,) = windows(request, [scope], now=time.time())
    return int(_store().get(window.key) or 0)
