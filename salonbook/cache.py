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
free starts) can be read in one ``MGET`` as well: ``read_entries()`` reads
them with the epoch and their versions up front, and each ``cached()`` call
given what was read (``found=``) uses it instead of reading again. The
freshness rule is unchanged: the stamp is read with the entry, before any
build. ``PipelinedRead`` is that ``MGET`` for a pipeline someone else sends
(``salonbook.api.cached_reads`` sends it with the rate-limit count).

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
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.dispatch import receiver
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted

from salonbook.events import cache_accessed, send_now
from salonbook.redis_clients import GLOBAL_TAG, by_slot
from salonbook.replica import furthest_position, replica_reads, stamped_token

logger = logging.getLogger("salonbook.cache")

T = TypeVar("T")

CACHE_ALIAS = "default"
# Read with every entry: on a Redis Cluster it shares the slot of the few
# keys every read checks (salonbook.redis_clients.GLOBAL_TAG).
EPOCH_KEY = f"cache:epoch:{GLOBAL_TAG}"
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
    store.set(EPOCH_KEY, stamped_token(), VERSION_TTL)
    with _health.lock:
        _health.owes_epoch = False
    logger.warning("cache available again; entries written before the outage are now stale")


def _token() -> str:
    # Random, not a counter: a version that was evicted and recreated must
    # never take a value an old entry was stamped with.
    return secrets.token_hex(8)


def _count(kind: str, hit: bool) -> None:
    send_now(cache_accessed, sender=None, kind=kind, hit=hit)


# What one read found: every name asked for, with None for a missing one.
Found = dict[str, Any]
Entries = Sequence[tuple[str, Sequence[str]]]


def _names(entries: Entries) -> list[str]:
    """The names to read for ``(key, versions)`` entries: the epoch, each
    entry's versions and the entry itself, each once."""
    return list(dict.fromkeys([EPOCH_KEY, *(name for key, versions in entries for name in (*versions, key))]))


def read_entries(entries: Entries) -> Found:
    """Read every ``(key, versions)`` entry with the epoch and its versions in
    one ``MGET``, for ``cached(..., found=...)``. A cache that fails or is
    skipped reads nothing: then each ``cached()`` call does as it does alone."""
    store = _store() if entries else None
    if store is None:
        return {}
    names = _names(entries)
    try:
        _settle(store)
        got = store.get_many(names)
    except CACHE_ERRORS as error:
        _failed(error, "read")
        return {}
    return {name: got.get(name) for name in names}


class PipelinedRead:
    """``read_entries`` as ``MGET`` commands that someone else sends to Redis
    in their own pipeline: ``queue(pipe)``, then ``found(replies)`` with what
    they answered, or ``failed(error)``.

    One ``MGET`` per hash slot, as a Redis Cluster requires: the salon's keys
    share one slot and the epoch and business-info version another
    (``salonbook.redis_clients``), so a salon's read is two ``MGET`` in the
    one pipeline, on one Redis or on a cluster alike."""

    def __init__(self, cache: RedisCache, entries: Entries) -> None:
        self._client = cache.client
        self._names = _names(entries)
        self.location = settings.CACHES[CACHE_ALIAS].get("LOCATION")
        keys = [self._client.make_key(name) for name in self._names]
        self._groups = by_slot(keys)
        self.commands = len(self._groups)
        self._keys = [[keys[position] for position in group] for group in self._groups]

    def queue(self, pipe: Any) -> None:
        for keys in self._keys:
            # A plain command: a cluster's pipeline refuses mget() (keys could
            # span slots), but routes an MGET whose keys share one.
            pipe.execute_command("MGET", *keys)

    def found(self, replies: Sequence[Sequence[bytes | None]]) -> Found:
        values: list[bytes | None] = [None] * len(self._names)
        for group, reply in zip(self._groups, replies):
            for position, value in zip(group, reply):
                values[position] = value
        return {name: None if value is None else self._client.decode(value) for name, value in zip(self._names, values)}

    def failed(self, error: BaseException) -> Found:
        _failed(error, "read")
        return {}


def pipelined_read(entries: Entries) -> PipelinedRead | None:
    """A read of ``entries`` for a pipeline; None when there is nothing to
    read, the cache is not Redis or is skipped after a failure, or it owes a
    new epoch (``read_entries`` writes that first)."""
    if not entries or _health.owes_epoch or time.monotonic() < _health.skip_until:
        return None
    cache = caches[CACHE_ALIAS]
    if not isinstance(cache, RedisCache):
        return None
    return PipelinedRead(cache, entries)


def cached(
    *,
    kind: str,
    key: str,
    versions: Sequence[str],
    ttl: int | Callable[[Any], int],
    build: Callable[[], T],
    found: Found | None = None,
) -> T:
    """``build()``'s value for ``key``, from the cache while none of
    ``versions`` (nor the epoch) has moved on since it was stored.

    ``ttl`` is seconds, or a function of the built value giving them (0: do
    not store). A cache that fails never fails the read: ``build()`` answers.
    Errors from ``build()`` itself propagate and nothing is stored.

    ``found``: what ``read_entries`` (or a ``PipelinedRead``) read earlier in
    this request; when it holds the entry and its stamp's names they are not
    read again, else they are.
    """
    store = _store()
    if store is None:
        _count(kind, hit=False)
        return build()
    names = [EPOCH_KEY, *versions]
    if found is None or any(name not in found for name in (*names, key)):
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
    # Built from the replica only once it shows every change whose version
    # this read saw move on (salonbook.replica), else from the primary.
    with replica_reads(after=furthest_position(stamp)):
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
    # Stamped with the primary's position: a first build may read the replica
    # only once it holds everything committed before this read began.
    token = stamped_token()
    for name in missing:
        store.add(name, f"{_token()}{token}", VERSION_TTL)
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
    store = _store()
    if store is None:
        with _health.lock:
            _health.owes_epoch = True
        return
    try:
        _settle(store)
        token = stamped_token()
        store.set_many({name: f"{_token()}{token}" for name in version_keys}, VERSION_TTL)
    except CACHE_ERRORS as error:
        _failed(error, "invalidate")


def invalidate_all() -> None:
    """Make every entry stale: a new epoch. For a change whose version keys
    cannot be named."""
    invalidate([EPOCH_KEY])
