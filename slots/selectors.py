"""Reads of slots: free start times, the check that a start is one of them,
and the slots a booking would need."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import BigIntegerField, Func, QuerySet
from django.utils import timezone

from salonbook.errors import InvalidInput, OutsideBookingWindow, TooShortNotice
from salons.models import Salon, Service, StaffMember
from salons.selectors import offers_service, service_and_staff_errors, staff_doing_service
from slots.models import Slot

AVAILABLE = Slot.Status.AVAILABLE.value


@dataclass(frozen=True)
class FreeStart:
    start: dt.datetime
    end: dt.datetime
    staff_member_id: int


def covers(slots: Sequence[Slot], start: dt.datetime, busy: dt.timedelta) -> bool:
    """True when ``slots`` (sorted) run back to back from ``start`` for ``busy``
    and every one of them is available: all the time a booking needs, or none."""
    if not slots or slots[0].start != start:
        return False
    for previous, following in zip(slots, slots[1:]):
        if previous.end != following.start:
            return False
    return slots[-1].end >= start + busy and all(s.status == Slot.Status.AVAILABLE for s in slots)


def day_bounds(salon: Salon, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where ``day`` begins and ends in the salon's zone."""
    tz = salon.tz
    begin = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return begin.astimezone(dt.UTC), end.astimezone(dt.UTC)


class _Epoch(Func):
    """A UTC datetime column as whole seconds since 1970: the database driver
    loads an integer several times faster than a datetime, and a month of a
    large salon is tens of thousands of slots."""

    output_field = BigIntegerField()
    template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) AS BIGINT)"

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite keeps datetimes as text; julianday() reads it (days, as a float).
        template = "CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)


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


def _slot_rows(staff_ids: QuerySet, begin: dt.datetime, end: dt.datetime) -> list[tuple[int, int, int]]:
    """The available slots of the staff ``staff_ids`` selects starting in
    ``[begin, end)``, as plain rows (times in epoch seconds) in staff and
    start order: one query, an index range scan per staff member on
    ``(staff_member, start)`` (the unique constraint's index), and no model
    instances or datetimes."""
    return list(
        Slot.objects.filter(staff_member_id__in=staff_ids, start__gte=begin, start__lt=end, status=AVAILABLE)
        .order_by("staff_member_id", "start")
        .values_list("staff_member_id", _Epoch("start"), _Epoch("end"))
    )


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
    rows = _slot_rows(staff_ids, max(day_bounds(salon, first_day)[0], now), end + busy)
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


def check_start_offered(
    *,
    salon: Salon,
    service: Service,
    staff_member: StaffMember,
    start: dt.datetime,
    now: dt.datetime,
    with_notice: bool = True,
) -> None:
    """Refuse a start that ``availability_for_day`` would not offer at ``now``.

    Booking and rescheduling both ask this, so a start sent by hand (another
    salon's service, a staff member who does not do it, a time already past or
    beyond the booking window) is refused with the same rules availability
    applies. Whether the slots are still free is read again under their lock
    when they are taken (``slots.services.slots_take``). Raises
    ``InvalidInput`` (details by field), ``TooShortNotice`` or
    ``OutsideBookingWindow``.
    """
    errors = service_and_staff_errors(salon=salon, service=service, staff_member=staff_member)
    if timezone.is_naive(start):
        errors["start"] = ["Give the time with its UTC offset, e.g. 2030-05-01T10:00:00+01:00."]
    elif start <= now:
        errors["start"] = ["That time has already passed."]
    if errors:
        raise InvalidInput(details=errors)
    if with_notice and start < salon.earliest_start(now):
        raise TooShortNotice(
            f"{salon.name} takes bookings at least {salon.minimum_notice_minutes} minutes ahead.",
            details={"start": [f"Choose a time at least {salon.minimum_notice_minutes} minutes from now."]},
        )
    if start > salon.booking_window_closes(now):
        raise OutsideBookingWindow(
            f"{salon.name} takes bookings up to {salon.booking_window_days} days ahead.",
            details={"start": [f"Choose a time within {salon.booking_window_days} days."]},
        )


def slots_for_day(*, salon: Salon, day: dt.date, staff_member_id: int | None = None) -> list[Slot]:
    """Every slot of the salon-local ``day``, for the staff agenda."""
    begin, end = day_bounds(salon, day)
    slots = Slot.objects.filter(salon=salon, start__gte=begin, start__lt=end).select_related("staff_member")
    if staff_member_id is not None:
        slots = slots.filter(staff_member_id=staff_member_id)
    return list(slots.order_by("staff_member_id", "start"))
