"""Read-through caching with version keys, and what it does when Redis is not there.

Every entry is stored with the stamp it was built under: the cache epoch and
the version keys of what it depends on (a salon's availability, one day of
it, ...). Invalidating means giving a version key a new random value, never
deleting entries, so a read checks freshness by comparing stamps. A read
fetches the entry, the epoch and its versions in one ``MGET``, so a hit is one
round trip to Redis and no SQL.

Why stamps and not deletes: a reader reads the versions *before* it builds
from the database and stores its result under those versions. If a change
commits while it builds, the change's invalidation moves a version on and the
reader's entry is born stale-stamped: the next read rebuilds. Deleting would
let that reader put stale data back after the delete.

Several entries one request needs (the availability view's business info and
free starts) can be read in that same single ``MGET``: ``prefetch()`` reads
each entry with the epoch and its versions up front, and a ``cached()`` call
for one of those keys inside the block uses what was read, once, as if it had
read it itself. The freshness rule is unchanged (the stamp is read with the
entry, before any build); a prefetched key that is not asked for costs
nothing but the bytes, and a key asked for that was not prefetched is read as
usual. The API goes one step further: ``PrefetchRead`` hands the ``MGET`` to
the rate limiter, which sends it in the same pipeline as the request's
counter, so a cached read costs one round trip to Redis in all.

Redis missing or down: every read is answered by ``build()`` from the
database. django-redis swallows errors on the "default" alias
(``IGNORE_EXCEPTIONS``), which would hide the one thing we need to know, so
this module talks to the alias's client, which raises, and decides itself:

- After a failed call the cache is skipped for ``CACHE_RETRY_AFTER`` seconds
  (one second by default): a hung Redis costs one request per process one
  socket timeout (at most 0.25 s) per second, not every request. After that
  the next call tries again, so caching resumes without a restart.
- An invalidation that could not be written is not retried key by key: the
  process remembers that it owes a new epoch, and its first successful call
  after the outage writes one before anything else, which makes every entry
  written before it stale. So a change committed during an outage cannot show
  stale data once Redis answers again, even if Redis kept its data. Any Redis
  failure, a failed read included, owes an epoch: after an outage every
  process that saw it starts a new one, whether or not it lost an
  invalidation itself. The bound left is a process that lost an invalidation
  and exited before Redis came back while no other process saw the outage:
  then the TTL (5 minutes, 1 hour) bounds it.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.dispatch import receiver
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted

from salonbook.events import cache_accessed, send_now

logger = logging.getLogger("salonbook.cache")

T = TypeVar("T")

CACHE_ALIAS = "default"
EPOCH_KEY = "cache:epoch"
# Longer than any entry lives; a version that expires anyway only costs a rebuild.
VERSION_TTL = 24 * 60 * 60
CACHE_ERRORS = (ConnectionInterrupted, redis.RedisError, OSError)


class _Health:
    """This process's view of the cache: skipping it after a failure, and
    whether it owes a new epoch for invalidations it may have lost."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.skip_until = 0.0  # time.monotonic()
        self.owes_epoch = False

    def reset(self) -> None:
        with self.lock:
            self.skip_until = 0.0
            self.owes_epoch = False


_health = _Health()


@receiver(setting_changed, dispatch_uid="salonbook.cache.reset_on_new_caches")
def _reset_on_new_caches(*, setting: str, **kwargs: Any) -> None:
    # Tests point the app at another Redis: a new configuration starts healthy.
    if setting == "CACHES":
        _health.reset()


def _store() -> Any | None:
    """The cache to talk to, or None while we skip it after a failure.

    For django-redis the client itself, which raises where the backend with
    ``IGNORE_EXCEPTIONS`` would answer "not found"; other backends as they are.
    """
    if time.monotonic() < _health.skip_until:
        return None
    cache = caches[CACHE_ALIAS]
    return cache.client if isinstance(cache, RedisCache) else cache


def _failed(error: BaseException, operation: str) -> None:
    retry_after = getattr(settings, "CACHE_RETRY_AFTER", 1.0)
    with _health.lock:
        first = not _health.owes_epoch
        _health.skip_until = time.monotonic() + retry_after
        _health.owes_epoch = True
    if first:
        logger.warning(
            "cache unavailable, reading from the database",
            extra={"operation": operation, "error": type(error).__name__},
        )


def _settle(store: Any) -> None:
    """Start a new epoch if this process may have lost an invalidation."""
    if not _health.owes_epoch:
        return
    store.set(EPOCH_KEY, _token(), VERSION_TTL)
    with _health.lock:
        _health.owes_epoch = False
    logger.warning("cache available again; entries written before the outage are now stale")


def _token() -> str:
    # Random, not a counter: a version that was evicted and recreated must
    # never take a value an old entry was stamped with.
    return secrets.token_hex(8)


def _count(kind: str, hit: bool) -> None:
    send_now(cache_accessed, sender=None, kind=kind, hit=hit)


# key -> what the prefetch read for it (the entry and its stamp's keys).
_prefetched: ContextVar[dict[str, dict[str, Any]] | None] = ContextVar("salonbook_cache_prefetched", default=None)

Entries = Sequence[tuple[str, Sequence[str]]]


@contextmanager
def prefetch_scope() -> Iterator[None]:
    """Keep what prefetches inside the block read for the ``cached()`` calls
    inside it (the API opens one per request)."""
    token = _prefetched.set({})
    try:
        yield
    finally:
        _prefetched.reset(token)


@contextmanager
def prefetch(entries: Entries) -> Iterator[None]:
    """Read every ``(key, versions)`` entry, the epoch and the versions in one
    ``MGET``, for the ``cached()`` calls inside the block.

    Each prefetched entry answers one ``cached()`` call for its key with the
    same versions; a cache that fails or is skipped reads nothing here and
    leaves ``cached()`` to do as it does without a prefetch.
    """
    with prefetch_scope():
        prefetch_now(entries)
        yield


def prefetch_now(entries: Entries) -> None:
    """Read ``entries`` into the current ``prefetch_scope()`` in one ``MGET``."""
    store = _store() if entries else None
    if store is None:
        return
    names = _names(entries)
    try:
        _settle(store)
        found = store.get_many(names)
    except CACHE_ERRORS as error:
        _failed(error, "read")
        return
    _keep(entries, found)


class PrefetchRead:
    """A prefetch whose ``MGET`` another module sends to Redis in its own
    pipeline: ``redis_keys`` to read, then ``finish(values)`` with what the
    ``MGET`` answered, or ``fail(error)``."""

    def __init__(self, client: Any, entries: Entries) -> None:
        self._client = client
        self._entries = entries
        self._names = _names(entries)
        self.redis_keys = [client.make_key(name) for name in self._names]

    @classmethod
    def start(cls, entries: Entries, *, location: Any) -> PrefetchRead | None:
        """A read of ``entries`` for a pipeline to the Redis at ``location``;
        None when the cache is elsewhere, not Redis, skipped after a failure,
        or has an epoch to write first (then ``prefetch_now`` reads it)."""
        if not entries or _health.owes_epoch or time.monotonic() < _health.skip_until:
            return None
        cache = caches[CACHE_ALIAS]
        if not isinstance(cache, RedisCache) or settings.CACHES[CACHE_ALIAS].get("LOCATION") != location:
            return None
        return cls(cache.client, entries)

    def finish(self, values: Sequence[bytes | None]) -> None:
        found = {
            name: self._client.decode(value)
            for name, value in zip(self._names, values)
            if value is not None
        }
        _keep(self._entries, found)

    def fail(self, error: BaseException) -> None:
        _failed(error, "read")


def _names(entries: Entries) -> list[str]:
    return list(dict.fromkeys([EPOCH_KEY, *(name for key, versions in entries for name in (*versions, key))]))


def _keep(entries: Entries, found: dict[str, Any]) -> None:
    table = _prefetched.get()
    if table is None:
        return  # no scope to keep it in: cached() reads for itself
    for key, versions in entries:
        wanted = (EPOCH_KEY, *versions, key)
        table[key] = {"names": wanted, "found": {name: found.get(name) for name in wanted}}


def _take_prefetched(key: str, names: list[str]) -> dict[str, Any] | None:
    table = _prefetched.get()
    if not table:
        return None
    read = table.get(key)
    if read is None or read["names"] != (*names, key):
        return None
    del table[key]  # once: a second call for the key reads again
    return read["found"]


def cached(
    *,
    kind: str,
    key: str,
    versions: Sequence[str],
    ttl: int | Callable[[Any], int],
    build: Callable[[], T],
) -> T:
    """``build()``'s value for ``key``, from the cache while none of
    ``versions`` (nor the epoch) has moved on since it was stored.

    ``ttl`` is seconds, or a function of the built value giving them (0: do
    not store). A cache that fails never fails the read: ``build()`` answers.
    Errors from ``build()`` itself propagate and nothing is stored.
    """
    store = _store()
    if store is None:
        _count(kind, hit=False)
        return build()
    names = [EPOCH_KEY, *versions]
    found = _take_prefetched(key, names)
    if found is None:
        try:
            _settle(store)
            found = store.get_many([*names, key])
        except CACHE_ERRORS as error:
            _failed(error, "read")
            _count(kind, hit=False)
            return build()

    stamp = tuple(found.get(name) for name in names)
    entry = found.get(key)
    if isinstance(entry, tuple) and len(entry) == 2 and None not in stamp and entry[0] == stamp:
        _count(kind, hit=True)
        return entry[1]
    _count(kind, hit=False)

    if None in stamp:
        try:
            stamp = _start_versions(store, names, stamp)
        except CACHE_ERRORS as error:
            _failed(error, "start versions")
            return build()
    value = build()
    timeout = ttl(value) if callable(ttl) else ttl
    if timeout > 0 and None not in stamp:
        try:
            store.set(key, (stamp, value), timeout)
        except CACHE_ERRORS as error:
            _failed(error, "write")
    return value


def _start_versions(store: Any, names: list[str], stamp: tuple[Any, ...]) -> tuple[Any, ...]:
    """Give the missing version keys a value, before building: the stamp must
    be read before the data it vouches for. A racing writer may win ``add``;
    its value is then the one we read back."""
    missing = [name for name, value in zip(names, stamp) if value is None]
    for name in missing:
        store.add(name, _token(), VERSION_TTL)
    started = store.get_many(missing)
    return tuple(started.get(name) if value is None else value for name, value in zip(names, stamp))


def invalidate(version_keys: Sequence[str]) -> None:
    """Make every entry that depends on ``version_keys`` stale.

    Never raises: a change is committed already and must not fail because of
    the cache. A lost invalidation is made good by a new epoch when Redis is
    back (see the module's docstring).
    """
    if not version_keys:
        return
    table = _prefetched.get()
    if table:
        table.clear()  # read before this change: cached() must read again
    store = _store()
    if store is None:
        with _health.lock:
            _health.owes_epoch = True
        return
    try:
        _settle(store)
        store.set_many({name: _token() for name in version_keys}, VERSION_TTL)
    except CACHE_ERRORS as error:
        _failed(error, "invalidate")
