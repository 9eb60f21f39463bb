"""Reads of slots: free start times, the check that a start is one of them,
and the slots a booking would need."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import BigIntegerField, Func, QuerySet
from django.utils import timezone

from salonbook.errors import InvalidInput, OutsideBookingWindow, TooShortNotice
from salons.models import Salon, Service, StaffMember
from salons.selectors import service_and_staff_errors
from slots.models import Slot

AVAILABLE = Slot.Status.AVAILABLE.value


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


def slot_rows(staff_ids: QuerySet | Sequence[int], begin: dt.datetime, end: dt.datetime) -> list[tuple[int, int, int]]:
    """The available slots of the staff ``staff_ids`` (ids, or a query of them) starting in
    ``[begin, end)``, as plain rows (times in epoch seconds) in staff and
    start order: one query, an index range scan per staff member on
    ``(staff_member, start)`` (the unique constraint's index), and no model
    instances or datetimes."""
    return list(
        Slot.objects.filter(staff_member_id__in=staff_ids, start__gte=begin, start__lt=end, status=AVAILABLE)
        .order_by("staff_member_id", "start")
        .values_list("staff_member_id", _Epoch("start"), _Epoch("end"))
    )


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
