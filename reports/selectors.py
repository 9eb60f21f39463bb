"""A salon's report for a range of its local dates: bookings by status,
revenue, utilisation per staff member, no-show and cancellation rates and the
busiest hours.

Five queries whatever the range: the bookings (a few columns each; the
counting is done here, in the salon's time zone, the same way on every
database), the staff, their weekly hours, their days off, the salon's
closures, and nothing per day or per person.

Revenue is the sum of the current price of each completed booking's
services (each part of a visit once): a booking does not store the price it
was sold at, so a price change also changes past revenue. A staff member's
booked time is their parts' time less any processing phase, in which they
are free.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from bookings.models import Booking, BookingPart
from salonbook.replica import replica_reads
from salons.models import DayOff, Salon, SalonClosure, StaffMember, WorkingHours
from slots.selectors import day_bounds

MAX_DAYS = 366
_S = Booking.Status
STATUS_ORDER = [_S.COMPLETED, _S.CONFIRMED, _S.PENDING, _S.NO_SHOW, _S.CANCELLED]


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class StaffUtilisation:
    staff_id: int
    name: str
    booked: dt.timedelta = dt.timedelta()
    working: dt.timedelta = dt.timedelta()
    bookings: int = 0

    @property
    def utilisation(self) -> float | None:
        """Booked time over working time; None when they had no working time."""
        return round(self.booked / self.working, 4) if self.working else None

    @property
    def booked_hours(self) -> float:
        return round(self.booked.total_seconds() / 3600, 2)

    @property
    def working_hours(self) -> float:
        return round(self.working.total_seconds() / 3600, 2)


@dataclass
class SalonReport:
    first_day: dt.date
    last_day: dt.date
    by_status: dict[str, int]
    revenue: Decimal
    staff: list[StaffUtilisation]
    by_hour: list[int] = field(default_factory=lambda: [0] * 24)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def cancellation_rate(self) -> float | None:
        return rate(self.by_status[_S.CANCELLED], self.total)

    @property
    def attended_or_not(self) -> int:
        return self.by_status[_S.COMPLETED] + self.by_status[_S.NO_SHOW]

    @property
    def no_show_rate(self) -> float | None:
        """No-shows among the appointments that are over (completed or not attended)."""
        return rate(self.by_status[_S.NO_SHOW], self.attended_or_not)

    @property
    def busy_hours(self) -> range:
        """The hours of the day from the first to the last one with a booking (all 24 if none)."""
        used = [hour for hour, count in enumerate(self.by_hour) if count]
        return range(used[0], used[-1] + 1) if used else range(24)


def _utc_span(tz, day: dt.date, start: dt.time, end: dt.time) -> dt.timedelta:
    """Real time between two wall-clock times of ``day`` (a daylight-saving day is shorter or longer)."""
    begin = dt.datetime.combine(day, start, tzinfo=tz).astimezone(dt.UTC)
    finish = dt.datetime.combine(day, end, tzinfo=tz).astimezone(dt.UTC)
    return max(finish - begin, dt.timedelta())


def _working_time(salon: Salon, staff_ids: list[int], first_day: dt.date, last_day: dt.date) -> dict[int, dt.timedelta]:
    """Each staff member's working time in the range: weekly hours minus
    breaks, nothing on their days off or on days the salon is closed."""
    hours: dict[int, dict[int, WorkingHours]] = defaultdict(dict)
    for row in WorkingHours.objects.filter(staff_member_id__in=staff_ids):
        hours[row.staff_member_id][row.weekday] = row
    days_off = set(
        DayOff.objects.filter(staff_member_id__in=staff_ids, date__range=(first_day, last_day)).values_list(
            "staff_member_id", "date"
        )
    )
    closed: set[dt.date] = set()
    for date_from, date_to in SalonClosure.objects.filter(
        salon=salon, date_from__lte=last_day, date_to__gte=first_day
    ).values_list("date_from", "date_to"):
        day = max(date_from, first_day)
        while day <= min(date_to, last_day):
            closed.add(day)
            day += dt.timedelta(days=1)
    working = {staff_id: dt.timedelta() for staff_id in staff_ids}
    day = first_day
    while day <= last_day:
        if day not in closed:
            for staff_id in staff_ids:
                weekday = hours[staff_id].get(day.weekday())
                if weekday is not None and (staff_id, day) not in days_off:
                    working[staff_id] += sum(
                        (_utc_span(salon.tz, day, start, end) for start, end in weekday.intervals()), dt.timedelta()
                    )
        day += dt.timedelta(days=1)
    return working


def salon_report(*, salon: Salon, first_day: dt.date, last_day: dt.date) -> SalonReport:
    """The report of the bookings that start between ``first_day`` and
    ``last_day`` (salon-local dates, both included). Cancelled bookings count
    in the statuses and rates but not as booked time or in the busiest hours.
    Utilisation covers the active staff and anyone with a booking in the range.

    Read from the replica when there is one: a report may lag a few seconds."""
    with replica_reads():
        return _salon_report(salon=salon, first_day=first_day, last_day=last_day)


def _salon_report(*, salon: Salon, first_day: dt.date, last_day: dt.date) -> SalonReport:
    begin, _ = day_bounds(salon, first_day)
    _, end = day_bounds(salon, last_day)
    # One row per part: a single booking has one, a visit one per service.
    parts = BookingPart.objects.filter(booking__salon=salon, booking__start__gte=begin, booking__start__lt=end)
    rows = parts.values_list(
        "booking_id",
        "booking__status",
        "booking__start",
        "staff_member_id",
        "start",
        "end",
        "service__price",
        "service__processing_minutes",
    )
    by_status: Counter[str] = Counter({status.value: 0 for status in STATUS_ORDER})
    revenue = Decimal("0.00")
    booked: dict[int, dt.timedelta] = defaultdict(dt.timedelta)
    counted: Counter[int] = Counter()
    by_hour = [0] * 24
    seen: set[int] = set()
    for booking_id, status, booking_start, staff_id, start, finish, price, processing in rows:
        if booking_id not in seen:  # a visit counts once in the statuses and the hours
            seen.add(booking_id)
            by_status[status] += 1
            if status != _S.CANCELLED:
                by_hour[booking_start.astimezone(salon.tz).hour] += 1
        if status == _S.COMPLETED:
            revenue += price  # each service of a visit, once
        if status != _S.CANCELLED:
            # The stylist's working time: a processing phase leaves them free.
            booked[staff_id] += finish - start - dt.timedelta(minutes=processing)
            counted[staff_id] += 1
    members = list(
        StaffMember.objects.filter(Q(is_active=True) | Q(pk__in=list(booked)), salon=salon)
        .order_by("name", "pk")
        .values_list("pk", "name")
    )
    working = _working_time(salon, [pk for pk, _ in members], first_day, last_day)
    staff = [
        StaffUtilisation(staff_id=pk, name=name, booked=booked[pk], working=working[pk], bookings=counted[pk])
        for pk, name in members
    ]
    return SalonReport(
        first_day=first_day, last_day=last_day, by_status=dict(by_status), revenue=revenue, staff=staff, by_hour=by_hour
    )
