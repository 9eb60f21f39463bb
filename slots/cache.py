"""Cached availability per salon, day and service: TTL 5 minutes.

Each entry depends on two versions: the salon's (service lengths, who does
what, working hours, generated slots) and the salon-local day's (slots booked,
released, blocked or unblocked that day). The slot events say which days they
touched, so a booking makes only those days stale.

Entries and versions are named by the salon's slug, as the availability URL
names the salon, inside the salon's hash tag (``salonbook.redis_clients``),
so on a Redis Cluster they all live on one node: a read knows every key it needs from the request alone, so
the API reads them with the business info in one ``MGET``. The events name
the salon by id; invalidating looks its slug up (one query, after the
change's commit). A salon renamed leaves its entries under the old slug
behind, unread: the old slug's business info is gone, and a salon given that
slug later offers other services, whose ids are in the keys. A renamed
salon's own change event moves the versions of its new slug.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import DatabaseError
from django.dispatch import receiver
from django.utils import timezone

from salonbook.cache import Found, cached, invalidate, invalidate_all
from salonbook.redis_clients import salon_tag
from salons.selectors import salon_slug
from salons.signals import salon_updated, staff_schedule_changed
from slots.signals import (
    slot_blocked,
    slot_booked,
    slot_held,
    slot_released,
    slot_unblocked,
    slot_unheld,
    slots_generated,
)

T = TypeVar("T")

# 5 minutes: the bound on anything no event announces (the booking window
# moving on with the clock).
AVAILABILITY_TTL = 5 * 60


def _salon_version(slug: str) -> str:
    return f"av:v:{salon_tag(slug)}"


def _day_version(slug: str, day: dt.date) -> str:
    return f"av:v:{salon_tag(slug)}:{day.isoformat()}"


def availability_entry(
    *, slug: str, day: dt.date, service_id: int, staff_member_id: int | None
) -> tuple[str, list[str]]:
    """The cache key and version keys of one day's free starts (what
    ``salonbook.cache.read_entries`` is given to read it ahead)."""
    staff = staff_member_id if staff_member_id is not None else "any"
    return (
        f"av:{salon_tag(slug)}:{day.isoformat()}:{service_id}:{staff}",
        [_salon_version(slug), _day_version(slug, day)],
    )


def cached_availability(
    *,
    slug: str,
    day: dt.date,
    service_id: int,
    staff_member_id: int | None,
    build: Callable[[], T],
    found: Found | None = None,
    notice_minutes: int = 0,
) -> T:
    """The free starts for one salon-local day, from the cache or ``build()``:
    JSON-ready data, or the rendered JSON answer itself (the API keeps that).
    ``found``: the entry read ahead (``salonbook.cache.read_entries``);
    ``notice_minutes``: the salon's minimum notice, which ends an entry early."""
    key, versions = availability_entry(slug=slug, day=day, service_id=service_id, staff_member_id=staff_member_id)

    def ttl(value: Any) -> int:
        return availability_ttl(value, notice_minutes=notice_minutes)

    return cached(kind="availability", key=key, versions=versions, ttl=ttl, build=build, found=found)


def calendar_entry(
    *, slug: str, month: dt.date, days: int, service_id: int, staff_member_id: int | None
) -> tuple[str, list[str]]:
    """The cache key and version keys of one month's calendar: it depends on
    the salon's version and on each of its days', so any change that makes
    a day's availability stale makes the month stale too."""
    staff = staff_member_id if staff_member_id is not None else "any"
    day_versions = [_day_version(slug, month + dt.timedelta(days=n)) for n in range(days)]
    return f"cal:{salon_tag(slug)}:{month:%Y-%m}:{service_id}:{staff}", [_salon_version(slug), *day_versions]


def cached_calendar(
    *,
    slug: str,
    month: dt.date,
    days: int,
    service_id: int,
    staff_member_id: int | None,
    build: Callable[[], T],
    found: Found | None = None,
    notice_minutes: int = 0,
) -> T:
    """A month's free-start counts, from the cache or ``build()``; kept as
    long as a day's availability would be (``availability_ttl``: never past
    the moment the month's first free start comes inside the notice)."""
    key, versions = calendar_entry(
        slug=slug, month=month, days=days, service_id=service_id, staff_member_id=staff_member_id
    )

    def ttl(value: Any) -> int:
        return availability_ttl(value, notice_minutes=notice_minutes)

    return cached(kind="calendar", key=key, versions=versions, ttl=ttl, build=build, found=found)


def availability_ttl(value: Any, *, now: dt.datetime | None = None, notice_minutes: int = 0) -> int:
    """Seconds to keep ``value``: 5 minutes, but never past the moment its
    first start comes inside the minimum notice (at the latest, its start).

    From then on that start can no longer be booked, so the entry must not
    outlive it (availability offers only what booking accepts).
    """
    first = _first_start(value)
    if first is None:
        return AVAILABILITY_TTL
    bookable_until = first - dt.timedelta(minutes=notice_minutes)
    remaining = (bookable_until - (now or timezone.now())).total_seconds()
    return max(0, min(AVAILABILITY_TTL, int(remaining)))


def _first_start(value: Any) -> dt.datetime | None:
    """The first ``start`` in availability data shaped like the API's
    (``{"slots": [{"start": ...}, ...]}``, the list itself, or its JSON), or
    the first ``first_start`` of a month's calendar (``{"days": [...]}``).
    Availability lists its starts in time order and a month its days in
    order, so the first is the earliest."""
    if isinstance(value, bytes):
        # Only when an entry is built: the parse costs little next to the build.
        value = json.loads(value)
    if isinstance(value, dict) and "days" in value:  # a month: each day's first start
        value = [{"start": day.get("first_start")} for day in value["days"] if isinstance(day, dict)]
    items = value.get("slots") if isinstance(value, dict) else value
    if not isinstance(items, (list, tuple)):
        return None
    for item in items:
        start = item.get("start") if isinstance(item, dict) else getattr(item, "start", None)
        if isinstance(start, str):
            try:
                start = dt.datetime.fromisoformat(start)
            except ValueError:
                continue
        if isinstance(start, dt.datetime) and start.tzinfo is not None:
            return start
    return None


def _invalidate_for_salon(salon_id: int, version_keys: Callable[[str], list[str]]) -> None:
    try:
        slug = salon_slug(salon_id)
    except DatabaseError:
        # The keys cannot be named: make everything stale rather than
        # leave this salon's change unseen for up to 5 minutes.
        invalidate_all()
        return
    if slug is not None:  # a salon deleted: its entries are unreachable
        invalidate(version_keys(slug))


def availability_invalidate_salon(salon_id: int) -> None:
    """Make every cached day of the salon stale."""
    _invalidate_for_salon(salon_id, lambda slug: [_salon_version(slug)])


def availability_invalidate_days(salon_id: int, days: Iterable[dt.date]) -> None:
    """Make the salon's cached ``days`` stale. Working hours end by midnight,
    so no start needs a slot of the next day."""
    wanted = sorted(set(days))
    _invalidate_for_salon(salon_id, lambda slug: [_day_version(slug, day) for day in wanted])


@receiver(salon_updated, dispatch_uid="slots.cache.salon_updated")
@receiver(staff_schedule_changed, dispatch_uid="slots.cache.staff_schedule_changed")
@receiver(slots_generated, dispatch_uid="slots.cache.slots_generated")
def _salon_changed(sender: Any, *, salon_id: int, **kwargs: Any) -> None:
    availability_invalidate_salon(salon_id)


@receiver(slot_booked, dispatch_uid="slots.cache.slot_booked")
@receiver(slot_released, dispatch_uid="slots.cache.slot_released")
@receiver(slot_blocked, dispatch_uid="slots.cache.slot_blocked")
@receiver(slot_unblocked, dispatch_uid="slots.cache.slot_unblocked")
@receiver(slot_held, dispatch_uid="slots.cache.slot_held")
@receiver(slot_unheld, dispatch_uid="slots.cache.slot_unheld")
def _slots_changed(sender: Any, *, salon_id: int, dates: Iterable[dt.date], **kwargs: Any) -> None:
    availability_invalidate_days(salon_id, dates)
