"""Free start times for one service: what availability, the month calendar,
the desk and "any staff" ask.

A plain service (no processing phase, no resources) is read the quick way,
in one pass over its staff's slots (``_free_slot_starts``); a service with a
processing phase or resources is the one-part case of a visit
(``slots.visits.free_visits``), so both follow one rule for what is free.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from resources.selectors import needs_of_services
from salons.models import Salon, Service
from salons.selectors import offers_service, staff_doing_service
from slots.selectors import day_bounds, slot_rows
from slots.visits import PartAsk, free_visits


@dataclass(frozen=True)
class FreeStart:
    start: dt.datetime
    end: dt.datetime
    staff_member_id: int


def _free_slot_starts(
    rows: Sequence[tuple[int, int, int]], *, busy: int, after: float, until: float
) -> list[tuple[int, int]]:
    """``(staff id, start)`` of every slot in ``rows`` that begins a free run
    long enough for ``busy`` seconds, with ``after < start <= until``.

    ``rows`` are the available slots as ``(staff id, start, end)``, times in
    epoch seconds, sorted by staff and start: a slot that is not available
    leaves a gap, which ends a run as a pause between two slots does. One
    pass from the last slot back: each slot learns where the run of
    back-to-back slots it begins ends, so the cost grows with the slots read
    and not with the length of the service (``covers`` is the same rule,
    slot by slot).
    """
    free: list[tuple[int, int]] = []
    run_end = 0
    next_staff, next_start = None, None
    for staff_id, start, end in reversed(rows):
        if next_staff != staff_id or next_start != end:
            run_end = end  # the run this slot ends, and begins
        next_staff, next_start = staff_id, start
        if run_end >= start + busy and after < start <= until:
            free.append((staff_id, start))
    free.reverse()
    return free


def _free_by_day(
    *,
    salon: Salon,
    first_day: dt.date,
    days: int,
    service: Service,
    staff_member_id: int | None,
    now: dt.datetime,
    with_notice: bool = True,
) -> dict[dt.date, list[tuple[int, int]]]:
    """``(staff id, epoch start)`` of the free starts of each salon-local day
    in the range, in time order (days without any are left out); none sooner
    than the salon's minimum notice unless ``with_notice`` is False (staff at
    the desk)."""
    if not offers_service(salon=salon, service=service):
        return {}
    if service.processing_minutes or needs_of_services([service.pk]):
        # A one-part visit: each free staff member at each start.
        visits = free_visits(
            salon=salon,
            first_day=first_day,
            days=days,
            asks=[PartAsk(service, staff_member_id)],
            now=now,
            with_notice=with_notice,
            each_first_staff=True,
        )
        return {
            day: [(visit.parts[0].staff_member_id, int(visit.start.timestamp())) for visit in found]
            for day, found in visits.items()
        }
    staff = staff_doing_service(salon=salon, service=service)
    if staff_member_id is not None:
        staff = staff.filter(pk=staff_member_id)
    staff_ids = staff.values("pk")  # a subquery of the slot read
    day_list = [first_day + dt.timedelta(days=n) for n in range(days)]
    # Where each day begins and the range ends, in epoch seconds: a start's day is a bisection.
    edges = [day_bounds(salon, day)[0].timestamp() for day in day_list]
    end = day_bounds(salon, day_list[-1])[1]
    edges.append(end.timestamp())
    busy = service.busy_time
    until = min(salon.booking_window_closes(now), end).timestamp()
    earliest = (salon.earliest_start(now) if with_notice else now).timestamp()
    rows = slot_rows(staff_ids, max(day_bounds(salon, first_day)[0], now), end + busy)
    found: dict[dt.date, list[tuple[int, int]]] = {}
    for staff_id, start in _free_slot_starts(rows, busy=int(busy.total_seconds()), after=now.timestamp(), until=until):
        if start >= edges[-1] or start < earliest:
            continue
        found.setdefault(day_list[bisect.bisect_right(edges, start) - 1], []).append((staff_id, start))
    for free in found.values():
        free.sort(key=lambda pair: (pair[1], pair[0]))
    return found


def availability_for_day(
    *,
    salon: Salon,
    day: dt.date,
    service: Service,
    staff_member_id: int | None = None,
    now: dt.datetime | None = None,
    with_notice: bool = True,
) -> list[FreeStart]:
    """Free start times for ``service`` on the salon-local ``day``.

    A start is free when its staff member does the service and every slot the
    service and its buffer need is available, in the future, no sooner than
    the salon's minimum notice (unless ``with_notice`` is False: staff at the
    desk), and inside the salon's booking window. One query whatever the
    number of staff or slots.
    """
    return availability_for_days(
        salon=salon,
        first_day=day,
        days=1,
        service=service,
        staff_member_id=staff_member_id,
        now=now,
        with_notice=with_notice,
    ).get(day, [])


def availability_for_days(
    *,
    salon: Salon,
    first_day: dt.date,
    days: int,
    service: Service,
    staff_member_id: int | None = None,
    now: dt.datetime | None = None,
    with_notice: bool = True,
) -> dict[dt.date, list[FreeStart]]:
    """``availability_for_day`` for ``days`` salon-local days from
    ``first_day`` at once, by day (days with no free start are left out).

    The same single query for a month as for a day: every slot in the range
    of the staff who do the service. Times are in the salon's zone, ready to
    show.
    """
    now = now or timezone.now()
    tz, duration = salon.tz, int(service.duration.total_seconds())
    # From epoch seconds, not ``start + duration``: adding to a zoned datetime
    # moves its wall clock, which is wrong across a daylight-saving change.
    return {
        day: [
            FreeStart(
                start=dt.datetime.fromtimestamp(seconds, tz),
                end=dt.datetime.fromtimestamp(seconds + duration, tz),
                staff_member_id=staff_id,
            )
            for staff_id, seconds in free
        ]
        for day, free in _free_by_day(
            salon=salon,
            first_day=first_day,
            days=days,
            service=service,
            staff_member_id=staff_member_id,
            now=now,
            with_notice=with_notice,
        ).items()
    }


def free_start_counts(
    *,
    salon: Salon,
    first_day: dt.date,
    days: int,
    service: Service,
    staff_member_id: int | None = None,
    now: dt.datetime | None = None,
) -> dict[dt.date, tuple[int, dt.datetime]]:
    """How many free starts each salon-local day of the range has and the
    first of them: ``len()`` and ``[0]`` of ``availability_for_day``'s list,
    without building the list (days with none are left out)."""
    found = _free_by_day(
        salon=salon,
        first_day=first_day,
        days=days,
        service=service,
        staff_member_id=staff_member_id,
        now=now or timezone.now(),
    )
    return {day: (len(free), _utc(free[0][1])) for day, free in found.items()}


def _utc(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)
