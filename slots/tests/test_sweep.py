"""The hourly sweep: only the days that came into the window, in tasks per
batch of salons; nothing read per slot and nothing written when nothing is due."""

import datetime as dt
import zoneinfo

import pytest

from salons.models import DayOff
from salons.tests.factories import SalonFactory, StaffMemberFactory
from slots import sweep, tasks
from slots.models import Slot
from slots.services import slots_sync_for_staff
from slots.sweep import short_windows, slots_sweep_salons, sweep_batches

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
MONDAY = dt.datetime(2027, 6, 7, 6, tzinfo=dt.UTC)  # 07:00 in London


def _staff(window_days: int = 7, **kwargs):
    salon = SalonFactory(timezone="Europe/London", slot_minutes=30, booking_window_days=window_days)
    return StaffMemberFactory(salon=salon, hours=(dt.time(9), dt.time(12)), **kwargs)


def _local_days(member) -> list[dt.date]:
    starts = Slot.objects.filter(staff_member=member).values_list("start", flat=True)
    return sorted({start.astimezone(LONDON).date() for start in starts})


def test_the_day_that_came_into_the_window_gets_the_slots_a_full_sync_would_make():
    member = _staff()
    slots_sync_for_staff(staff_member=member, now=MONDAY)
    tomorrow = MONDAY + dt.timedelta(days=1)
    assert _local_days(member)[-1] == dt.date(2027, 6, 13)

    created = slots_sweep_salons(salon_ids=[member.salon_id], now=tomorrow).created

    assert _local_days(member)[-1] == dt.date(2027, 6, 14)
    assert created == 6  # 09:00 to 12:00 in 30-minute slots
    full = slots_sync_for_staff(staff_member=member, now=tomorrow)
    assert (full.created, full.removed) == (0, 0)  # the same slots a full sync makes


def test_a_new_staff_member_gets_the_whole_window_from_the_sweep():
    member = _staff()

    slots_sweep_salons(salon_ids=[member.salon_id], now=MONDAY)

    assert _local_days(member) == [dt.date(2027, 6, 7) + dt.timedelta(days=n) for n in range(7)]


def test_a_steady_sweep_reads_one_query_and_queues_nothing_however_many_staff(django_assert_num_queries):
    members = [_staff() for _ in range(4)] + [StaffMemberFactory(salon=SalonFactory(booking_window_days=7))]
    for member in members:
        slots_sync_for_staff(staff_member=member, now=MONDAY)
    later_that_day = MONDAY + dt.timedelta(hours=10)

    with django_assert_num_queries(1):
        assert sweep_batches(now=later_that_day) == []


def test_running_a_batch_twice_creates_nothing_the_second_time():
    member = _staff()
    slots_sync_for_staff(staff_member=member, now=MONDAY)
    next_week = MONDAY + dt.timedelta(days=7)

    first = slots_sweep_salons(salon_ids=[member.salon_id], now=next_week).created
    again = slots_sweep_salons(salon_ids=[member.salon_id], now=next_week).created

    assert (first, again) == (7 * 6, 0)


def test_inactive_staff_are_not_swept():
    member = _staff(is_active=False)

    assert short_windows(now=MONDAY) == []
    assert slots_sweep_salons(salon_ids=[member.salon_id], now=MONDAY).created == 0


def test_a_day_off_at_the_end_of_the_window_is_read_again_but_makes_nothing():
    member = _staff()
    DayOff.objects.create(staff_member=member, date=dt.date(2027, 6, 14))
    slots_sync_for_staff(staff_member=member, now=MONDAY)
    tomorrow = MONDAY + dt.timedelta(days=1)

    assert slots_sweep_salons(salon_ids=[member.salon_id], now=tomorrow).created == 0
    assert _local_days(member)[-1] == dt.date(2027, 6, 13)


def test_beat_queues_one_task_per_batch_of_salons_that_need_a_day(monkeypatch):
    members = [_staff() for _ in range(5)]
    for member in members[:2]:  # already full: not queued
        slots_sync_for_staff(staff_member=member)
    monkeypatch.setattr(sweep, "SWEEP_BATCH", 2)
    queued: list[list[int]] = []
    monkeypatch.setattr(tasks.sweep_salons, "delay", lambda salon_ids: queued.append(salon_ids))

    assert tasks.sweep() == {"batches": 2}

    assert queued == [sorted(m.salon_id for m in members[2:4]), [members[4].salon_id]]
