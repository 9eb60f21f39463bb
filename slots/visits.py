"""Visits laid out in time, and the starts at which one can be booked.

A visit is one or more parts, each a service with a staff member (a chosen
one, or anyone who does it), each part starting when the one before ends,
its buffer included. A part keeps its staff member busy for the service and
its buffer less any processing phase (``Service.staff_periods``), so during
a colour's processing its stylist can take someone else; and it holds one
unit of each resource its service needs for the service's whole time.

``free_visits`` reads everything a range of days needs in a fixed number of
queries (the services' staff, their resources, the slots, the resources'
holds), whatever the number of parts, staff or resources, then checks each
start in memory. Booking asks the same rule again under locks
(``slots.services.slots_lock_for_parts`` and ``resources.holds``).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from resources.models import CELL
from resources.selectors import ResourceUse, needs_of_services, resource_use
from salons.models import Salon, Service
from salons.selectors import offers_service, staff_doing_services
from slots.selectors import day_bounds, slot_rows

CELL_SECONDS = int(CELL.total_seconds())


@dataclass(frozen=True)
class PartAsk:
    """One part as asked: ``service`` with ``staff_member_id``, or anyone (None)."""

    service: Service
    staff_member_id: int | None = None


@dataclass(frozen=True)
class PlannedPart:
    service: Service
    staff_member_id: int
    start: dt.datetime
    end: dt.datetime  # the end of the service itself, without its buffer


@dataclass(frozen=True)
class PlannedVisit:
    parts: tuple[PlannedPart, ...]

    @property
    def start(self) -> dt.datetime:
        return self.parts[0].start

    @property
    def end(self) -> dt.datetime:
        return self.parts[-1].end


def staff_periods(service: Service, start: dt.datetime) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """When ``service`` starting at ``start`` keeps its staff member busy (in UTC)."""
    start = start.astimezone(dt.UTC)
    return tuple((start + begin, start + end) for begin, end in service.staff_periods)


def part_starts(start: dt.datetime, services: Sequence[Service]) -> list[dt.datetime]:
    """When each part begins: the one before it, plus its service and buffer.
    In absolute time, so a visit across a daylight-saving change lasts what
    its services last (the starts are in UTC: adding to a zoned time would
    move its wall clock instead)."""
    starts = [start.astimezone(dt.UTC)]
    for service in services[:-1]:
        starts.append(starts[-1] + service.busy_time)
    return starts


class FreeSlots:
    """Some staff members' available slots, and where each run of
    back-to-back available slots ends, for "is this staff member free from
    a to b" in a bisection. Times in epoch seconds."""

    def __init__(self, rows: Sequence[tuple[int, int, int]]) -> None:
        # rows: (staff id, start, end), sorted by staff and start.
        self.starts: dict[int, list[int]] = {}
        self.ends: dict[int, list[int]] = {}
        for staff_id, start, end in rows:
            self.starts.setdefault(staff_id, []).append(start)
            self.ends.setdefault(staff_id, []).append(end)
        self.run_ends: dict[int, list[int]] = {}
        for staff_id, starts in self.starts.items():
            ends = self.ends[staff_id]
            run_ends = [0] * len(starts)
            for i in range(len(starts) - 1, -1, -1):
                joined = i + 1 < len(starts) and starts[i + 1] == ends[i]
                run_ends[i] = run_ends[i + 1] if joined else ends[i]
            self.run_ends[staff_id] = run_ends

    def is_start(self, staff_id: int, at: int) -> bool:
        starts = self.starts.get(staff_id, [])
        i = bisect.bisect_left(starts, at)
        return i < len(starts) and starts[i] == at

    def covers(self, staff_id: int, begin: int, end: int) -> bool:
        """True when available slots of the staff member run without a gap
        from the one holding ``begin`` to ``end``."""
        starts = self.starts.get(staff_id)
        if not starts:
            return False
        i = bisect.bisect_right(starts, begin) - 1
        return i >= 0 and self.ends[staff_id][i] > begin and self.run_ends[staff_id][i] >= end


def _cells(begin: int, end: int) -> range:
    return range(begin // CELL_SECONDS * CELL_SECONDS, end, CELL_SECONDS)


class _Planner:
    """The rule, in memory: given what ``free_visits`` read, the visit at one start."""

    def __init__(
        self,
        asks: Sequence[PartAsk],
        candidates: list[list[int]],
        needs: dict[int, list[int]],
        free: FreeSlots,
        use: ResourceUse,
    ) -> None:
        self.asks = asks
        self.candidates = candidates
        self.free = free
        self.use = use
        self.needs = [needs.get(ask.service.pk, []) for ask in asks]
        self.periods = [
            [(int(b.total_seconds()), int(e.total_seconds())) for b, e in ask.service.staff_periods] for ask in asks
        ]
        self.lengths = [int(ask.service.duration.total_seconds()) for ask in asks]
        self.steps = [int(ask.service.busy_time.total_seconds()) for ask in asks]

    def _resources_free(self, part: int, begin: int, mine: dict[int, set[int]]) -> bool:
        for resource_id in self.needs[part]:
            quantity = self.use.quantity.get(resource_id, 0)
            held = self.use.held.get(resource_id)
            own = mine.setdefault(resource_id, set())
            for cell in _cells(begin, begin + self.lengths[part]):
                # A cell this visit already holds is its own unit: the parts follow each other.
                if cell not in own and (held[cell] if held else 0) >= quantity:
                    return False
        for resource_id in self.needs[part]:
            mine[resource_id].update(_cells(begin, begin + self.lengths[part]))
        return True

    def at(self, start: int, first_staff: int | None = None) -> list[tuple[int, int]] | None:
        """``(staff id, start)`` of each part of the visit starting at
        ``start``, each part's staff member the first of its candidates who is
        free (``first_staff`` for the first part, when given); None when the
        visit does not fit."""
        mine: dict[int, set[int]] = {}
        chosen: list[tuple[int, int]] = []
        begin = start
        for part, candidates in enumerate(self.candidates):
            if not self._resources_free(part, begin, mine):
                return None
            pool = [first_staff] if part == 0 and first_staff is not None else candidates
            staff = next(
                (
                    staff_id
                    for staff_id in pool
                    if (part > 0 or self.free.is_start(staff_id, begin))
                    and all(self.free.covers(staff_id, begin + b, begin + e) for b, e in self.periods[part])
                ),
                None,
            )
            if staff is None:
                return None
            chosen.append((staff, begin))
            begin += self.steps[part]
        return chosen


def free_visits(
    *,
    salon: Salon,
    first_day: dt.date,
    days: int,
    asks: Sequence[PartAsk],
    now: dt.datetime,
    with_notice: bool = True,
    each_first_staff: bool = False,
    order: Callable[[int], Any] | None = None,
) -> dict[dt.date, list[PlannedVisit]]:
    """The visits ``asks`` describes that can start on each salon-local day
    of the range, in start order (days without any are left out).

    A start is offered when it is a slot start of a staff member who may do
    the first part, in the future, no sooner than the minimum notice (unless
    ``with_notice`` is False: staff at the desk), inside the booking window,
    and every part finds its staff member free for its busy periods and its
    resources free for its whole time. "Anyone" takes the first free
    candidate in ``order`` (staff id by default); ``each_first_staff`` gives
    one visit per free first-part staff member at each start (what
    single-service availability lists) instead of one per start.
    """
    if not asks or not all(offers_service(salon=salon, service=ask.service) for ask in asks):
        return {}
    services = [ask.service for ask in asks]
    doing = staff_doing_services(salon=salon, services=services)
    candidates = []
    for ask in asks:
        pool = doing[ask.service.pk]
        if ask.staff_member_id is not None:
            pool = [staff_id for staff_id in pool if staff_id == ask.staff_member_id]
        candidates.append(sorted(pool, key=order) if order else pool)
    if not all(candidates):
        return {}
    needs_by_service = needs_of_services(service.pk for service in services)
    resources = {r.pk: r for needs in needs_by_service.values() for r in needs}

    day_list = [first_day + dt.timedelta(days=n) for n in range(days)]
    edges = [day_bounds(salon, day)[0].timestamp() for day in day_list]
    range_end = day_bounds(salon, day_list[-1])[1]
    edges.append(range_end.timestamp())
    whole_visit = sum((service.busy_time for service in services), dt.timedelta())
    read_from = max(day_bounds(salon, first_day)[0], now)
    staff_ids = sorted({staff_id for pool in candidates for staff_id in pool})
    free = FreeSlots(slot_rows(staff_ids, read_from, range_end + whole_visit))
    use = resource_use(resources=resources.values(), start=read_from, end=range_end + whole_visit)
    planner = _Planner(asks, candidates, {sid: [r.pk for r in rs] for sid, rs in needs_by_service.items()}, free, use)

    until = min(salon.booking_window_closes(now), range_end).timestamp()
    earliest = max((salon.earliest_start(now) if with_notice else now).timestamp(), now.timestamp() + 1)
    starts = sorted({start for staff_id in candidates[0] for start in free.starts.get(staff_id, [])})
    found: dict[dt.date, list[PlannedVisit]] = {}
    for start in starts:
        if start < earliest or start > until or start >= edges[-1]:
            continue
        firsts: Sequence[int | None] = candidates[0] if each_first_staff else [None]
        for first in firsts:
            chosen = planner.at(start, first)
            if chosen is None:
                continue
            day = day_list[bisect.bisect_right(edges, start) - 1]
            found.setdefault(day, []).append(_visit(salon, services, chosen))
    return found


def _visit(salon: Salon, services: Sequence[Service], chosen: Sequence[tuple[int, int]]) -> PlannedVisit:
    tz = salon.tz
    return PlannedVisit(
        tuple(
            PlannedPart(
                service=service,
                staff_member_id=staff_id,
                # From epoch seconds: adding to a zoned datetime moves its wall
                # clock, which is wrong across a daylight-saving change.
                start=dt.datetime.fromtimestamp(begin, tz),
                end=dt.datetime.fromtimestamp(begin + int(service.duration.total_seconds()), tz),
            )
            for service, (staff_id, begin) in zip(services, chosen, strict=True)
        )
    )


def visit_at(
    *,
    salon: Salon,
    start: dt.datetime,
    asks: Sequence[PartAsk],
    now: dt.datetime,
    with_notice: bool = True,
    order: Callable[[int], Any] | None = None,
) -> PlannedVisit | None:
    """The visit ``free_visits`` offers at ``start``, or None when it offers none there."""
    day = dt.datetime.fromtimestamp(start.timestamp(), salon.tz).date()
    for visit in free_visits(
        salon=salon, first_day=day, days=1, asks=asks, now=now, with_notice=with_notice, order=order
    ).get(day, []):
        if visit.start == start:
            return visit
    return None
