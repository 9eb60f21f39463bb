"""Per-client request limits for the API.

Two scopes: ``api`` (``RATE_LIMIT_API``, every API request) and ``bookings``
(``RATE_LIMIT_BOOKINGS``, booking creation on top of ``api``). A client is the
user when the request is authenticated, else its IP address; the
``X-Forwarded-For`` header is believed only when ``TRUSTED_PROXY`` says a proxy
we run sets it.

The counters live in the ``ratelimit`` cache alias (``RATELIMIT_USE_CACHE``),
in django-ratelimit's fixed windows and keys (its per-client window jitter,
its ``RATELIMIT_*`` settings), counted two ways:

- On Redis (django-redis), by one small Lua script: INCR each scope's window
  counter, EXPIRE it when the INCR created it, stop at the first scope over
  its limit. One round trip per request, whatever the number of scopes, and
  the content cache's read for the request (``prefetch``) goes in the same
  pipeline when the cache lives on the same Redis: a cached read costs one
  round trip in all. django-ratelimit's own ``get_usage`` needs two
  (``cache.add``, then ``cache.incr``) per scope.
- On any other cache (local memory when no ``REDIS_URL`` is set: one
  development process), by django-ratelimit's ``get_usage``.

Both are exact under concurrency: INCR (and django-ratelimit's add + incr) is
atomic, so every request gets its own number and no two share one.

Errors of the counter store are seen, never swallowed: django-ratelimit would
read a swallowed error as "no count" and block every request (it fails
closed). When the store cannot be reached, the ``RATE_LIMIT_FAIL_OPEN``
setting decides: let the request through (the default, so a Redis outage
never takes the salon offline), logged and counted through
``rate_limit_failed_open``; or refuse it with 503.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django_ratelimit.core import _get_window, _make_cache_key, _split_rate, get_usage
from django_ratelimit.exceptions import Ratelimited
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import NoScriptError, RedisError

from salonbook.cache import Entries, PrefetchRead, prefetch_now
from salonbook.errors import DomainError
from salonbook.events import rate_limit_failed_open, rate_limited, send_now

logger = logging.getLogger("salonbook.ratelimit")

SCOPES = {"api": "RATE_LIMIT_API", "bookings": "RATE_LIMIT_BOOKINGS"}

# What a broken counter store raises through the "ratelimit" alias.
STORE_ERRORS = (RedisError, ConnectionInterrupted, OSError)


class RateLimitExceeded(Ratelimited):
    """Over a limit. Still django-ratelimit's ``Ratelimited`` (a ``PermissionDenied``),
    so the API's exception handler must map it to 429 before any 403."""

    def __init__(self, *, scope: str, retry_after: int) -> None:
        super().__init__(f"Rate limit '{scope}' exceeded.")
        self.scope = scope
        self.retry_after = retry_after


class RateLimitUnavailable(DomainError):
    """The counters cannot be read and the limits are set to fail closed."""

    code = "rate_limit_unavailable"
    status = 503
    default_message = "The service is briefly unavailable; please try again shortly."


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


def client_key(group: str, request: Any) -> str:
    """django-ratelimit key: the user when authenticated, else the IP address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


def _rate(scope: str) -> str:
    return getattr(settings, SCOPES[scope])


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


def _store_failed(scope: str, error: Exception | None) -> None:
    if not getattr(settings, "RATE_LIMIT_FAIL_OPEN", True):
        logger.error("rate-limit store unavailable; refusing request", extra={"scope": scope})
        raise RateLimitUnavailable(details={"scope": scope})
    _outage_log.warn(
        "rate-limit store unavailable; letting requests through unlimited",
        scope=scope,
        error=type(error).__name__ if error else "no value returned",
    )
    send_now(rate_limit_failed_open, sender=__name__, scope=scope)


# KEYS: one window counter per scope; ARGV: limit, seconds to keep, per key.
# Counts scope after scope and stops at the first one over its limit, as
# checking them one by one would.
_COUNT_SCRIPT = """
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
# As django-ratelimit: a counter outlives its window by a few seconds.
EXPIRATION_FUDGE = 5

_script_sha: str | None = None  # the script's SHA1, for EVALSHA


def _counted_scopes(request: Any) -> set[str]:
    counted = getattr(request, "_rate_limit_counted", None)
    if counted is None:
        counted = set()
        request._rate_limit_counted = counted
    return counted


def enforce(request: Any, *, scope: str | Sequence[str], prefetch: Entries = ()) -> None:
    """Count ``request`` against ``scope``'s limit (or each of several scopes,
    in one round trip); raise ``RateLimitExceeded`` over one.

    ``prefetch`` names content-cache entries the request will read
    (``salonbook.cache.prefetch``): they are read in the same round trip as
    the count when both live on one Redis, else right after it, into the
    current ``prefetch_scope()``.

    Call once the request is authenticated, so a token user counts as that
    user and not as an anonymous address. A scope already counted for this
    request is not counted again.
    """
    counted = _counted_scopes(request)
    scopes = [s for s in ([scope] if isinstance(scope, str) else scope) if s not in counted]
    if not scopes or not getattr(settings, "RATELIMIT_ENABLE", True):
        prefetch_now(prefetch)
        return
    counted.update(scopes)
    alias = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    cache = caches[alias]
    if not isinstance(cache, RedisCache):
        for name in scopes:
            _enforce_with_django_ratelimit(request, name)
        prefetch_now(prefetch)
        return
    read = PrefetchRead.start(prefetch, location=settings.CACHES[alias].get("LOCATION"))
    try:
        _enforce_on_redis(request, cache, scopes, read)
    finally:
        if read is None:
            prefetch_now(prefetch)


def _enforce_on_redis(request: Any, cache: RedisCache, scopes: list[str], read: PrefetchRead | None) -> None:
    now = int(time.time())
    keys, args, windows = [], [], []
    for name in scopes:
        rate = _rate(name)
        limit, period = _split_rate(rate)
        value = client_key(name, request)
        window = _get_window(value, period)
        keys.append(cache.make_key(_make_cache_key(name, window, rate, value, None)))
        args += [limit, period + EXPIRATION_FUDGE]
        windows.append((name, limit, window))
    try:
        counts, values = _count_and_read(cache.client.get_client(write=True), keys, args, read)
    except STORE_ERRORS as error:
        if read is not None:
            read.fail(error)
        for name in scopes:
            _store_failed(name, error)
        return
    if read is not None:
        read.finish(values)
    for (name, limit, window), count in zip(windows, counts):
        if int(count) > limit:
            send_now(rate_limited, sender=__name__, scope=name)
            raise RateLimitExceeded(scope=name, retry_after=max(1, window - now))


def _count_and_read(
    client: Any, keys: list[str], args: list[int], read: PrefetchRead | None
) -> tuple[list[int], list[bytes | None]]:
    """The counter script and the cache's MGET in one pipeline: one round trip."""
    global _script_sha
    if _script_sha is None:
        _script_sha = client.register_script(_COUNT_SCRIPT).sha

    def send() -> list[Any]:
        pipe = client.pipeline(transaction=False)
        pipe.evalsha(_script_sha, len(keys), *keys, *args)
        if read is not None:
            pipe.mget(read.redis_keys)
        return pipe.execute(raise_on_error=False)

    results = send()
    if isinstance(results[0], NoScriptError):  # a Redis that restarted: load it once
        client.script_load(_COUNT_SCRIPT)
        results = send()
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results[0], (results[1] if read is not None else [])


def _enforce_with_django_ratelimit(request: Any, scope: str) -> None:
    try:
        usage = get_usage(request, group=scope, key=client_key, rate=_rate(scope), increment=True)
    except STORE_ERRORS as error:
        _store_failed(scope, error)
        return
    if usage is None:
        return
    if usage["limit"] == 0 and usage["time_left"] == -1:
        # django-ratelimit's answer when the store gave back nothing.
        _store_failed(scope, None)
        return
    if usage["should_limit"]:
        send_now(rate_limited, sender=__name__, scope=scope)
        raise RateLimitExceeded(scope=scope, retry_after=max(1, int(usage["time_left"])))
