"""Reads that tolerate a little lag, on a PostgreSQL streaming replica.

With ``DATABASE_REPLICA_URL`` set, the ``replica`` database alias is a hot
standby of the primary. Nothing goes there by default: every query uses the
primary (``default``), so everything that books, re-checks or writes sees
its own and everyone's latest commits. Two kinds of read opt in:

- the content cache's builds (availability, the month, business info, the
  staff calendar feed): ``salonbook.cache.cached`` runs ``build()`` inside
  ``replica_reads(after=...)``;
- the owner's reports: ``replica_reads()``, a few seconds of lag at most.

**Fenced reads.** A cache entry must never be rebuilt from data older than a
change whose invalidation the reader has already seen, or it would be stored
under the new version and served stale for its whole TTL. So every
invalidation token carries the primary's WAL position at the moment it was
written, after the change committed (``stamped_token()``), and a build
passes the highest position among the versions it read: the block reads from
the replica only if the replica has replayed at least that far (one
``pg_last_wal_replay_lsn()`` query), else from the primary.

A replica that cannot be reached is skipped for ``REPLICA_RETRY_AFTER``
seconds; its reads go to the primary meanwhile.
"""

from __future__ import annotations

import contextvars
import logging
import secrets
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger("salonbook.replica")

REPLICA = "replica"
PRIMARY = "default"


@dataclass
class _Block:
    after: int | None  # a WAL position the replica must have replayed, or None
    use_replica: bool | None = None  # decided on the block's first read


_block: contextvars.ContextVar[_Block | None] = contextvars.ContextVar("replica_block", default=None)
_skip_until = 0.0  # time.monotonic() before which the replica is not tried


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads(*, after: str | None = None) -> Iterator[None]:
    """Reads inside go to the replica, when there is one and it has replayed
    the primary's WAL up to ``after`` (an LSN such as ``"0/3000148"``); else
    to the primary. Never for reads that decide a write."""
    token = _block.set(_Block(after=_lsn(after) if after else None))
    try:
        yield
    finally:
        _block.reset(token)


def _lsn(text: str) -> int:
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def _caught_up(after: int | None) -> bool:
    global _skip_until
    if time.monotonic() < _skip_until:
        return False
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn()::text")
            (replayed,) = cursor.fetchone()
    except DatabaseError as error:
        _skip_until = time.monotonic() + getattr(settings, "REPLICA_RETRY_AFTER", 5.0)
        logger.warning("replica unavailable, reading from the primary", extra={"error": type(error).__name__})
        return False
    if replayed is None:  # not a standby: never promoted by mistake into a read target
        return False
    return after is None or _lsn(replayed) >= after


def read_alias() -> str | None:
    """The alias a read inside ``replica_reads`` uses; None outside one."""
    block = _block.get()
    if block is None or not replica_configured():
        return None
    if block.use_replica is None:
        block.use_replica = _caught_up(block.after)
    return REPLICA if block.use_replica else PRIMARY


class ReplicaRouter:
    """Sends the reads of a ``replica_reads`` block to the replica; every
    other read and every write to the primary. Migrations run on the
    primary only: the replica copies them."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return read_alias()

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, two ways to reach it

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db != REPLICA


# --- Stamping invalidations ------------------------------------------------------------


def stamped_token() -> str:
    """A new random version token; with a replica, followed by the primary's
    current WAL position (``<random>@<lsn>``), so a build knows how far the
    replica must have replayed to show the change behind it."""
    token = secrets.token_hex(8)
    if not replica_configured():
        return token
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            (lsn,) = cursor.fetchone()
    except DatabaseError:
        return token  # a build then reads the primary: no position to wait for
    return f"{token}@{lsn}"


def furthest_position(tokens: Iterable[Any]) -> str | None:
    """The furthest WAL position these version tokens name: how far the
    replica must have replayed before a build under them may read it. A
    token without one (written without a replica, or started by a first
    read) asks for none."""
    furthest: str | None = None
    for token in tokens:
        if isinstance(token, str) and "@" in token:
            lsn = token.rsplit("@", 1)[1]
            if furthest is None or _lsn(lsn) > _lsn(furthest):
                furthest = lsn
    return furthest
