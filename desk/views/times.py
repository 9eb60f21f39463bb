"""How the staff booking pages show days and times: a day's title, a time on
the salon's wall clock, and the free times of the time picker grouped per
staff member, as the desk booking and reschedule pages offer them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import dateformat, timezone

from desk.forms import FreeTimePickerForm, ShownChoice
from salons.models import Salon, StaffMember
from slots.availability import availability_for_day


@dataclass
class TimeChoice:
    value: str
    label: str
    checked: bool


@dataclass
class StaffTimes:
    """One group of the time picker: a staff member's free times, or (no
    ``staff_member``) every free time with "any stylist"."""

    staff_member: StaffMember | None
    times: list[TimeChoice]

    @property
    def key(self) -> str:
        return str(self.staff_member.pk) if self.staff_member else "any"

    @property
    def name(self) -> str:
        return self.staff_member.name if self.staff_member else "Any stylist"


def day_title(day: dt.date) -> str:
    return dateformat.format(day, "l j F Y")


def wall_time(moment: dt.datetime, salon: Salon) -> str:
    return timezone.localtime(moment, salon.tz).strftime("%H:%M")


def just_taken(start: dt.datetime, salon: Salon, member: StaffMember) -> str:
    """What staff read when another booking took the time as they chose it."""
    return (
        f"{wall_time(start, salon)} with {member.name} has just been taken by another booking. "
        "Choose another free time."
    )


def free_times(
    *, salon: Salon, shown: ShownChoice, offered_staff: dict[int, StaffMember], anyone: bool = False
) -> list[StaffTimes]:
    """The free starts availability offers for the service, day and staff
    member ``shown``, grouped per staff member in ``offered_staff`` and in
    name order; none until both a service and a day are chosen. With
    ``anyone`` and no staff member chosen, an "Any stylist" group of every
    free time comes first."""
    if shown.service is None or shown.day is None:
        return []
    free = availability_for_day(
        salon=salon,
        day=shown.day,
        service=shown.service,
        staff_member_id=shown.staff_member.pk if shown.staff_member else None,
        # Staff book walk-ins: the salon's minimum notice is for customers.
        with_notice=False,
    )
    groups: dict[int, StaffTimes] = {}
    for start in free:
        member = offered_staff.get(start.staff_member_id)
        if member is None:
            continue
        value = FreeTimePickerForm.start_value(start.staff_member_id, start.start)
        group = groups.setdefault(member.pk, StaffTimes(staff_member=member, times=[]))
        group.times.append(TimeChoice(value=value, label=wall_time(start.start, salon), checked=value == shown.start))
    ordered = sorted(groups.values(), key=lambda g: (g.name, g.key))
    if anyone and shown.staff_member is None and ordered:
        starts = sorted({choice_start.start for choice_start in free if choice_start.staff_member_id in offered_staff})
        values = [FreeTimePickerForm.start_value(None, start) for start in starts]
        anyone_group = StaffTimes(
            staff_member=None,
            times=[
                TimeChoice(value=value, label=wall_time(start, salon), checked=value == shown.start)
                for value, start in zip(values, starts)
            ],
        )
        ordered.insert(0, anyone_group)
    return ordered
