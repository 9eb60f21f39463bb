"""The hourly slot sweep: only the days that came into each staff member's
booking window, fanned out in small tasks per batch of salons.

Hours, days off and closures that change regenerate the staff member's or the
salon's slots at once, through ``slots.services`` (``slots.receivers``), as
before: the sweep only keeps the rolling window's far end moving with the
calendar. One query finds who is short (each active staff member's latest
slot, read backwards from the ``(staff_member, start)`` unique index), so a
run where nothing entered the window reads one index entry per staff member
and writes nothing. Each batch task checks again and creates the missing
days with ``slots_extend_for_staff``: a task delivered twice, or a batch run
after a change already filled the days, creates nothing.

A staff member whose window ends on a day they do not work stays "short"
until a working day enters the window: each run re-reads those one or two
days for them (no slots to make), cheap next to re-reading the window.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from salons.models import StaffMember
from slots.models import Slot
from slots.services import GenerationResult, slots_extend_for_staff

# Salons per task: small enough that a task takes well under a second in the
# steady state, large enough that beat does not queue a task per salon.
SWEEP_BATCH = 50


@dataclass(frozen=True)
class ShortWindow:
    """A staff member whose slots stop before their window's end."""

    staff_member_id: int
    salon_id: int
    first_day: dt.date  # salon-local, the first day with no slots yet
    last_day: dt.date  # salon-local, the window's last day


def short_windows(*, now: dt.datetime, salon_ids: Collection[int] | None = None) -> list[ShortWindow]:
    """The active staff members (of ``salon_ids``, or everyone) whose slots
    do not yet reach the end of their salon's booking window at ``now``."""
    latest = Slot.objects.filter(staff_member=OuterRef("pk")).order_by("-start").values("start")[:1]
    staff = StaffMember.objects.filter(is_active=True)
    if salon_ids is not None:
        staff = staff.filter(salon_id__in=salon_ids)
    rows = staff.annotate(latest_start=Subquery(latest)).values_list(
        "pk", "salon_id", "salon__timezone", "salon__booking_window_days", "latest_start"
    )
    zones: dict[str, zoneinfo.ZoneInfo] = {}
    short = []
    for pk, salon_id, zone, window_days, latest_start in rows:
        tz = zones.setdefault(zone, zoneinfo.ZoneInfo(zone))
        today = now.astimezone(tz).date()
        last_day = today + dt.timedelta(days=window_days - 1)
        first_day = (
            today if latest_start is None else max(today, latest_start.astimezone(tz).date() + dt.timedelta(days=1))
        )
        if first_day <= last_day:
            short.append(ShortWindow(pk, salon_id, first_day, last_day))
    return short


def sweep_batches(*, now: dt.datetime | None = None) -> list[list[int]]:
    """The salons with a short window, in batches of ``SWEEP_BATCH`` ids: one
    task each (``slots.tasks.sweep``)."""
    salon_ids = sorted({short.salon_id for short in short_windows(now=now or timezone.now())})
    return [salon_ids[at : at + SWEEP_BATCH] for at in range(0, len(salon_ids), SWEEP_BATCH)]


def slots_sweep_salons(*, salon_ids: Collection[int], now: dt.datetime | None = None) -> GenerationResult:
    """Create the days that came into the window for the salons' staff."""
    now = now or timezone.now()
    short = {window.staff_member_id: window for window in short_windows(now=now, salon_ids=salon_ids)}
    staff = (
        StaffMember.objects.filter(pk__in=list(short))
        .select_related("salon")
        .prefetch_related("working_hours", "days_off", "salon__closures")
    )
    result = GenerationResult()
    for member in staff:
        window = short[member.pk]
        result += slots_extend_for_staff(
            staff_member=member, first_day=window.first_day, last_day=window.last_day, now=now
        )
    return result
