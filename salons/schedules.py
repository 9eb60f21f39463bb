"""Changes to when people work: a staff member's weekly hours with breaks,
their days off, and the salon's closures (holidays, for everyone).

Each change is validated with the field named, saved and announced in one
transaction, in which ``slots.receivers`` regenerates the free future slots
(never a held or blocked one): a change and its slots commit together. The
caches follow after commit. A change never cancels a booking:
``bookings.selectors.bookings_outside_hours`` lists the bookings it leaves
outside the new hours for the owner to move.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction

from salonbook.errors import InvalidInput
from salons.models import DayOff, Salon, SalonClosure, StaffMember, WorkingHours
from salons.services import business_info_delete, business_info_save, validated


@dataclass(frozen=True)
class DayHours:
    """One weekday's hours, with an optional break."""

    start_time: dt.time
    end_time: dt.time
    break_start: dt.time | None = None
    break_end: dt.time | None = None


def working_hours_set(
    *,
    staff_member: StaffMember,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    break_start: dt.time | None = None,
    break_end: dt.time | None = None,
) -> WorkingHours:
    """Set one weekday's hours for a staff member; free slots follow."""
    hours = WorkingHours.objects.filter(staff_member=staff_member, weekday=weekday).first() or WorkingHours(
        staff_member=staff_member, weekday=weekday
    )
    hours.start_time, hours.end_time = start_time, end_time
    hours.break_start, hours.break_end = break_start, break_end
    return business_info_save(instance=hours)


def working_week_set(*, staff_member: StaffMember, week: Mapping[int, DayHours | None]) -> list[WorkingHours]:
    """Set a staff member's whole week at once: ``week`` maps each weekday
    (0 = Monday) to its hours, or None for a day they do not work.

    Every day is checked before anything is written, and errors name the
    day and the field (``"2.break_start"``: Wednesday's break), so the page
    shows each next to its field. All days change together or none does.
    """
    if set(week) - set(WorkingHours.Weekday.values):
        raise InvalidInput(details={"weekday": ["A week has seven days, Monday (0) to Sunday (6)."]})
    current = {wh.weekday: wh for wh in WorkingHours.objects.filter(staff_member=staff_member)}
    wanted: list[WorkingHours] = []
    errors: dict[str, list[str]] = {}
    for weekday, day in sorted(week.items()):
        if day is None:
            continue
        hours = current.get(weekday) or WorkingHours(staff_member=staff_member, weekday=weekday)
        hours.start_time, hours.end_time = day.start_time, day.end_time
        hours.break_start, hours.break_end = day.break_start, day.break_end
        try:
            validated(hours, prefix=f"{weekday}.")
        except InvalidInput as refused:
            errors.update(refused.details)
        wanted.append(hours)
    if errors:
        raise InvalidInput("Some days' hours are not valid.", details=errors)
    with transaction.atomic():
        StaffMember.objects.select_for_update().get(pk=staff_member.pk)  # one week edit at a time
        for weekday, hours in current.items():
            if week.get(weekday, hours) is None:
                business_info_delete(instance=hours)
        for hours in wanted:
            business_info_save(instance=hours)
    return wanted


def day_off_add(*, staff_member: StaffMember, date: dt.date, reason: str = "") -> DayOff:
    """Give a staff member a day off; that day's free slots go away."""
    day_off = DayOff.objects.filter(staff_member=staff_member, date=date).first() or DayOff(
        staff_member=staff_member, date=date
    )
    day_off.reason = reason
    validated(day_off)
    return business_info_save(instance=day_off)


def day_off_remove(*, day_off: DayOff) -> None:
    """Give the day back: its free slots come back."""
    business_info_delete(instance=day_off)


def closure_add(*, salon: Salon, date_from: dt.date, date_to: dt.date | None = None, reason: str = "") -> SalonClosure:
    """Close the whole salon on one date (``date_to`` left out) or a range of
    dates, both included: nobody's free slots are offered then."""
    closure = SalonClosure(salon=salon, date_from=date_from, date_to=date_to or date_from, reason=reason.strip())
    if closure.date_to < closure.date_from:
        raise InvalidInput(details={"date_to": ["The last closed day cannot be before the first."]})
    validated(closure)
    return business_info_save(instance=closure)


def closure_remove(*, closure: SalonClosure) -> None:
    """Open the salon again on those dates: the free slots come back."""
    business_info_delete(instance=closure)
