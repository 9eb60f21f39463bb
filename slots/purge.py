"""Removing past slots that hold nothing, so the slot table stays
proportional to salons x window instead of growing by every day served.

A slot is held while any row points at it (a booking part, a waitlist offer,
the holds table: every reverse relation of ``Slot``, found from the model,
so a new kind of holder is respected without a change here); those rows
protect it (``on_delete=PROTECT``), and so does the database. Bookings keep
their own start and end, so history, reports, calendar feeds and messages do
not need the slots they once held.

Work is done in batches, each its own short transaction that skips rows
someone holds a lock on: no long lock, and a run stopped half-way has simply
removed less.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from slots.models import Slot

logger = logging.getLogger(__name__)

# Slots that ended less than this long ago stay: today's agenda shows them.
KEEP_PAST = dt.timedelta(days=2)
PURGE_BATCH = 2000


def _holds_nothing() -> Q:
    holds_nothing = Q()
    for relation in Slot._meta.related_objects:
        holds_nothing &= Q(**{f"{relation.name}__isnull": True})
    return holds_nothing


def slots_purge_past(*, now: dt.datetime | None = None, batch: int = PURGE_BATCH, max_batches: int = 1000) -> int:
    """Remove slots that ended more than ``KEEP_PAST`` before ``now`` and hold
    nothing, ``batch`` rows per transaction; returns how many went."""
    before = (now or timezone.now()) - KEEP_PAST
    removed = 0
    for _ in range(max_batches):
        with transaction.atomic():
            # Only the slot rows are locked: the holders are outer-joined to
            # see that there are none, and PostgreSQL locks no missing row.
            ids = list(
                Slot.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(_holds_nothing(), end__lt=before)
                .order_by()
                .values_list("pk", flat=True)[:batch]
            )
            if ids:
                Slot.objects.filter(_holds_nothing(), pk__in=ids).delete()
        removed += len(ids)
        if len(ids) < batch:
            break
    if removed:
        logger.info("past slots removed: %d", removed)
    return removed
