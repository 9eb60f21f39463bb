import datetime as dt
import zoneinfo

import pytest
from django.core.management import call_command

from bookings.tests.factories import make_booking
from salons.models import DayOff, WorkingHours
from salons.schedules import day_off_add, working_hours_set
from salons.tests.factories import SalonFactory, ServiceFactory, StaffMemberFactory
from slots.holds import Holder, held_slots
from slots.models import Slot
from slots.services import slots_generate, slots_sync_for_staff

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
UTC = dt.UTC


def _local_starts(staff_member, day):
    slots = Slot.objects.filter(staff_member=staff_member).order_by("start")
    return [s.start.astimezone(LONDON).time() for s in slots if s.start.astimezone(LONDON).date() == day]


def _grid(opens: dt.time, closes: dt.time, minutes=15, skip=()):
    times, t = [], dt.datetime.combine(dt.date(2000, 1, 1), opens)
    end = dt.datetime.combine(dt.date(2000, 1, 1), closes)
    while t + dt.timedelta(minutes=minutes) <= end:
        if t.time() not in skip:
            times.append(t.time())
        t += dt.timedelta(minutes=minutes)
    return times


def _assert_no_overlap(staff_member):
    slots = list(Slot.objects.filter(staff_member=staff_member).order_by("start"))
    for a, b in zip(slots, slots[1:]):
        assert a.end <= b.start, f"{a} overlaps {b}"


@pytest.fixture
def london_staff(db):
    salon = SalonFactory(timezone="Europe/London", slot_minutes=15)
    return StaffMemberFactory(salon=salon, hours=(dt.time(9), dt.time(17)))


@pytest.mark.parametrize(
    "change_day, offset_before, offset_after",
    [(dt.date(2027, 3, 28), 0, 1), (dt.date(2027, 10, 31), 1, 0)],
    ids=["spring-forward", "fall-back"],
)
def test_working_day_keeps_its_wall_clock_grid_across_dst(london_staff, change_day, offset_before, offset_after):
    now = dt.datetime.combine(change_day - dt.timedelta(days=2), dt.time(0), tzinfo=UTC)
    slots_sync_for_staff(staff_member=london_staff, days=5, now=now)
    for day in (change_day - dt.timedelta(days=1), change_day, change_day + dt.timedelta(days=1)):
        assert _local_starts(london_staff, day) == _grid(dt.time(9), dt.time(17))
    first_before = Slot.objects.filter(staff_member=london_staff, start__date=change_day - dt.timedelta(days=1)).first()
    first_after = Slot.objects.filter(staff_member=london_staff, start__date=change_day + dt.timedelta(days=1)).first()
    # 09:00 local is 09:00 UTC in winter and 08:00 UTC in summer.
    assert first_before.start.hour == 9 - offset_before
    assert first_after.start.hour == 9 - offset_after
    _assert_no_overlap(london_staff)


def test_night_hours_skip_the_missing_hour_in_spring(db):
    salon = SalonFactory(timezone="Europe/London")
    member = StaffMemberFactory(salon=salon, hours=(dt.time(0), dt.time(4)))
    change_day = dt.date(2027, 3, 28)
    slots_sync_for_staff(staff_member=member, days=3, now=dt.datetime(2027, 3, 27, 12, tzinfo=UTC))
    missing = {dt.time(1, m) for m in (0, 15, 30, 45)}  # 01:00-02:00 does not exist that night
    assert _local_starts(member, change_day) == _grid(dt.time(0), dt.time(4), skip=missing)
    _assert_no_overlap(member)


def test_hours_ending_inside_the_missing_hour_make_no_slot_after_it(db):
    # 01:00-01:30 does not exist that night: read as if it did, it would be
    # 02:00-02:30 BST, half an hour after this member stops working.
    salon = SalonFactory(timezone="Europe/London")
    member = StaffMemberFactory(salon=salon, hours=(dt.time(0), dt.time(1, 30)))
    change_day = dt.date(2027, 3, 28)
    slots_sync_for_staff(staff_member=member, days=3, now=dt.datetime(2027, 3, 27, 12, tzinfo=UTC))
    assert _local_starts(member, change_day) == _grid(dt.time(0), dt.time(1))


def test_night_hours_do_not_double_the_repeated_hour_in_autumn(db):
    salon = SalonFactory(timezone="Europe/London")
    member = StaffMemberFactory(salon=salon, hours=(dt.time(0), dt.time(4)))
    change_day = dt.date(2027, 10, 31)
    slots_sync_for_staff(staff_member=member, days=3, now=dt.datetime(2027, 10, 30, 12, tzinfo=UTC))
    starts = _local_starts(member, change_day)
    assert starts == _grid(dt.time(0), dt.time(4))  # 01:00-02:00 happens twice, gets one set of slots
    assert len(starts) == len(set(starts))
    _assert_no_overlap(member)


def test_generation_is_idempotent(london_staff):
    now = dt.datetime(2027, 3, 20, 0, tzinfo=UTC)
    first = slots_sync_for_staff(staff_member=london_staff, days=14, now=now)
    second = slots_sync_for_staff(staff_member=london_staff, days=14, now=now)
    assert first.created == 14 * 32
    assert (second.created, second.removed) == (0, 0)
    assert Slot.objects.filter(staff_member=london_staff).count() == 14 * 32


def test_generation_follows_breaks_days_off_and_weekdays(db):
    salon = SalonFactory()
    member = StaffMemberFactory(salon=salon, hours=False)
    WorkingHours.objects.create(
        staff_member=member,
        weekday=0,
        start_time=dt.time(9),
        end_time=dt.time(12),
        break_start=dt.time(10),
        break_end=dt.time(10, 30),
    )
    monday, next_monday = dt.date(2027, 6, 7), dt.date(2027, 6, 14)
    DayOff.objects.create(staff_member=member, date=next_monday)
    slots_sync_for_staff(staff_member=member, days=14, now=dt.datetime(2027, 6, 6, tzinfo=UTC))
    break_times = {dt.time(10), dt.time(10, 15)}
    assert _local_starts(member, monday) == _grid(dt.time(9), dt.time(12), skip=break_times)
    assert _local_starts(member, next_monday) == []
    assert _local_starts(member, dt.date(2027, 6, 8)) == []  # no hours on Tuesdays


def test_generation_uses_the_salons_slot_length(db):
    salon = SalonFactory(slot_minutes=30)
    member = StaffMemberFactory(salon=salon, hours=(dt.time(9), dt.time(11)))
    slots_sync_for_staff(staff_member=member, days=1, now=dt.datetime(2027, 6, 7, tzinfo=UTC))
    slots = list(Slot.objects.filter(staff_member=member).order_by("start"))
    assert [s.end - s.start for s in slots] == [dt.timedelta(minutes=30)] * 4


def test_only_future_slots_are_generated(db):
    salon = SalonFactory()
    member = StaffMemberFactory(salon=salon, hours=(dt.time(9), dt.time(17)))
    now = dt.datetime(2027, 6, 7, 12, tzinfo=UTC)  # 13:00 in London
    slots_sync_for_staff(staff_member=member, days=1, now=now)
    assert _local_starts(member, dt.date(2027, 6, 7))[0] == dt.time(13, 15)


def test_changing_hours_regenerates_free_slots_and_keeps_booked_ones(
    salon, service, django_capture_on_commit_callbacks
):
    member = StaffMemberFactory(salon=salon, services=[service], hours=(dt.time(9), dt.time(17)))
    slots_sync_for_staff(staff_member=member, days=7)
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    start = dt.datetime.combine(tomorrow, dt.time(16), tzinfo=salon.tz)
    booking = make_booking(service=service, staff_member=member, start=start)
    with django_capture_on_commit_callbacks(execute=True):
        for weekday in range(7):
            working_hours_set(staff_member=member, weekday=weekday, start_time=dt.time(10), end_time=dt.time(15))
    starts = _local_starts_in(member, tomorrow, salon.tz)
    assert starts[0] == dt.time(10)
    # 10:00-15:00 plus the two booked slots at 16:00, untouched.
    assert starts == _grid(dt.time(10), dt.time(15)) + [dt.time(16), dt.time(16, 15)]
    assert {s.status for s in held_slots(Holder.booking(booking.pk))} == {Slot.Status.BOOKED}


def test_a_day_off_removes_that_days_free_slots(salon, service, django_capture_on_commit_callbacks):
    member = StaffMemberFactory(salon=salon, services=[service], hours=(dt.time(9), dt.time(17)))
    slots_sync_for_staff(staff_member=member, days=7)
    day = dt.date.today() + dt.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        day_off_add(staff_member=member, date=day, reason="Holiday")
    assert _local_starts_in(member, day, salon.tz) == []


def test_blocked_slots_survive_regeneration(salon):
    member = StaffMemberFactory(salon=salon, hours=(dt.time(9), dt.time(17)))
    slots_sync_for_staff(staff_member=member, days=3)
    slot = Slot.objects.filter(staff_member=member).first()
    from slots.services import slot_block

    slot_block(slot=slot, reason="Lunch")
    WorkingHours.objects.filter(staff_member=member).delete()
    result = slots_sync_for_staff(staff_member=member, days=3)
    assert result.created == 0
    assert list(Slot.objects.filter(staff_member=member).values_list("status", flat=True)) == ["blocked"]


def test_generate_slots_command_runs_twice_safely(db):
    salon = SalonFactory(booking_window_days=5)
    StaffMemberFactory(salon=salon, hours=(dt.time(9), dt.time(10)))
    call_command("generate_slots", "--days", "3")
    count = Slot.objects.count()
    assert 8 <= count <= 12  # today may already be past 10:00
    call_command("generate_slots", "--days", "3")
    assert Slot.objects.count() == count


def test_slots_generate_covers_every_salon(db):
    for _ in range(2):
        StaffMemberFactory(salon=SalonFactory(), hours=(dt.time(9), dt.time(10)), services=[ServiceFactory()])
    result = slots_generate(days=2, now=dt.datetime(2027, 6, 7, tzinfo=UTC))
    assert result.created == 2 * 2 * 4


def _local_starts_in(member, day, tz):
    return [
        s.start.astimezone(tz).time()
        for s in Slot.objects.filter(staff_member=member).order_by("start")
        if s.start.astimezone(tz).date() == day
    ]
