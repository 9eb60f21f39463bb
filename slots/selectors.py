"""Reads of slots: free start times, the check that a start is one of them,
and the slots a booking would need."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.utils import timezone

from salonbook.errors import InvalidInput, OutsideBookingWindow
from salons.models import Salon, Service, StaffMember
from slots.models import Slot


@dataclass(frozen=True)
class FreeStart:
    start: dt.datetime
    end: dt.datetime
    staff_member_id: int


def covers(
    slots: Sequence[Slot], start: dt.datetime, busy: dt.timedelta, *, held_ok: Collection[int] = ()
) -> bool:
    """True when ``slots`` (sorted) run back to back from ``start`` for ``busy``
    and every one of them is available: all the time a booking needs, or none.

    ``held_ok``: ids of held slots that count as available, those one
    waitlist offer holds for the booking that claims it."""
    if not slots or slots[0].start != start:
        return False
    for previous, following in zip(slots, slots[1:]):
        if previous.end != following.start:
            return False
    return slots[-1].end >= start + busy and all(
        s.status == Slot.Status.AVAILABLE or (s.status == Slot.Status.HELD and s.pk in held_ok) for s in slots
    )


def day_bounds(salon: Salon, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where ``day`` begins and ends in the salon's zone."""
    tz = salon.tz
    begin = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return begin.astimezone(dt.UTC), end.astimezone(dt.UTC)


def offers_service(*, salon: Salon, service: Service) -> bool:
    return service.is_active and service.salon_id == salon.pk


def staff_ids_for_service(*, salon: Salon, service: Service, staff_member_id: int | None = None) -> list[int]:
    staff = StaffMember.objects.filter(salon=salon, is_active=True, services=service)
    if staff_member_id is not None:
        staff = staff.filter(pk=staff_member_id)
    return list(staff.values_list("pk", flat=True))


def availability_for_day(
    *,
    salon: Salon,
    day: dt.date,
    service: Service,
    staff_member_id: int | None = None,
    now: dt.datetime | None = None,
) -> list[FreeStart]:
    """Free start times for ``service`` on the salon-local ``day``.

    A start is free when its staff member does the service and every slot the
    service and its buffer need is available, in the future, and inside the
    salon's booking window. Two queries whatever the number of staff or slots.
    """
    now = now or timezone.now()
    if not offers_service(salon=salon, service=service):
        return []
    staff_ids = staff_ids_for_service(salon=salon, service=service, staff_member_id=staff_member_id)
    if not staff_ids:
        return []
    begin, end = day_bounds(salon, day)
    busy = service.busy_time
    window_closes = salon.booking_window_closes(now)
    slots = list(
        Slot.objects.filter(staff_member_id__in=staff_ids, start__gte=max(begin, now), start__lt=end + busy)
        .only("id", "staff_member_id", "start", "end", "status")
        .order_by("staff_member_id", "start")
    )
    by_staff: dict[int, list[Slot]] = {}
    for slot in slots:
        by_staff.setdefault(slot.staff_member_id, []).append(slot)

    free: list[FreeStart] = []
    for staff_id, staff_slots in by_staff.items():
        for index, slot in enumerate(staff_slots):
            if slot.start >= end or slot.start <= now or slot.start > window_closes:
                continue
            needed = _run_from(staff_slots, index, busy)
            if covers(needed, slot.start, busy):
                free.append(FreeStart(start=slot.start, end=slot.start + service.duration, staff_member_id=staff_id))
    free.sort(key=lambda f: (f.start, f.staff_member_id))
    return free


def check_start_offered(
    *, salon: Salon, service: Service, staff_member: StaffMember, start: dt.datetime, now: dt.datetime
) -> None:
    """Refuse a start that ``availability_for_day`` would not offer at ``now``.

    Booking and rescheduling both ask this, so a start sent by hand (another
    salon's service, a staff member who does not do it, a time already past or
    beyond the booking window) is refused with the same rules availability
    applies. Whether the slots are still free is read again under their lock
    when they are taken (``slots.services.slots_take``). Raises
    ``InvalidInput`` (details by field) or ``OutsideBookingWindow``.
    """
    errors: dict[str, list[str]] = {}
    if not offers_service(salon=salon, service=service):
        errors["service"] = ["This salon does not offer that service."]
    if staff_member.salon_id != salon.pk or not staff_member.is_active:
        errors["staff"] = ["This staff member does not work at this salon."]
    elif "service" not in errors and not staff_ids_for_service(
        salon=salon, service=service, staff_member_id=staff_member.pk
    ):
        errors["staff"] = ["This staff member does not do that service."]
    if timezone.is_naive(start):
        errors["start"] = ["Give the time with its UTC offset, e.g. 2030-05-01T10:00:00+01:00."]
    elif start <= now:
        errors["start"] = ["That time has already passed."]
    if errors:
        raise InvalidInput(details=errors)
    if start > salon.booking_window_closes(now):
        raise OutsideBookingWindow(
            f"{salon.name} takes bookings up to {salon.booking_window_days} days ahead.",
            details={"start": [f"Choose a time within {salon.booking_window_days} days."]},
        )


def _run_from(slots: list[Slot], index: int, busy: dt.timedelta) -> list[Slot]:
    """The slots from ``index`` that start before ``busy`` has elapsed."""
    limit = slots[index].start + busy
    run = []
    for slot in slots[index:]:
        if slot.start >= limit:
            break
        run.append(slot)
    return run


def slots_for_day(*, salon: Salon, day: dt.date, staff_member_id: int | None = None) -> list[Slot]:
    """Every slot of the salon-local ``day``, for the staff agenda."""
    begin, end = day_bounds(salon, day)
    slots = Slot.objects.filter(salon=salon, start__gte=begin, start__lt=end).select_related("staff_member")
    if staff_member_id is not None:
        slots = slots.filter(staff_member_id=staff_member_id)
    return list(slots.order_by("staff_member_id", "start"))
