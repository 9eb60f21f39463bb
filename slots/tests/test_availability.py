import datetime as dt

import pytest
from django.utils import timezone

from bookings.services import Actor, booking_cancel
from bookings.tests.factories import make_booking, next_local
from salonbook.errors import DomainError
from salons.tests.factories import ServiceFactory, StaffMemberFactory
from slots.availability import availability_for_day
from slots.models import Slot
from slots.services import slot_block, slots_sync_for_staff

pytestmark = pytest.mark.django_db


def _day(salon, days=2):
    return timezone.localdate(timezone=salon.tz) + dt.timedelta(days=days)


def _member(salon, services, hours=(dt.time(9), dt.time(12))):
    member = StaffMemberFactory(salon=salon, services=services, hours=hours)
    slots_sync_for_staff(staff_member=member, days=5)
    return member


def _local(free, tz):
    return [f.start.astimezone(tz).strftime("%H:%M") for f in free]


def test_free_starts_leave_room_for_the_whole_service_and_buffer(salon):
    service = ServiceFactory(salon=salon, duration_minutes=45, buffer_minutes=15)
    _member(salon, [service])
    free = availability_for_day(salon=salon, day=_day(salon), service=service)
    # 09:00-12:00 with a 60-minute need: the last start is 11:00.
    assert _local(free, salon.tz)[0] == "09:00"
    assert _local(free, salon.tz)[-1] == "11:00"
    assert free[0].end - free[0].start == dt.timedelta(minutes=45)


def test_booked_and_blocked_time_is_not_offered(salon):
    service = ServiceFactory(salon=salon, duration_minutes=30)
    member = _member(salon, [service])
    day = _day(salon)
    make_booking(service=service, staff_member=member, start=dt.datetime.combine(day, dt.time(10), tzinfo=salon.tz))
    slot_block(slot=Slot.objects.get(staff_member=member, start=dt.datetime.combine(day, dt.time(11), tzinfo=salon.tz)))
    starts = _local(availability_for_day(salon=salon, day=day, service=service), salon.tz)
    assert starts == ["09:00", "09:15", "09:30", "10:30", "11:15", "11:30"]


def test_staff_filter_and_staff_without_the_service(salon):
    cut = ServiceFactory(salon=salon)
    colour = ServiceFactory(salon=salon)
    alice = _member(salon, [cut, colour])
    bob = _member(salon, [cut])
    day = _day(salon)
    assert {f.staff_member_id for f in availability_for_day(salon=salon, day=day, service=cut)} == {alice.pk, bob.pk}
    assert {f.staff_member_id for f in availability_for_day(salon=salon, day=day, service=colour)} == {alice.pk}
    only = availability_for_day(salon=salon, day=day, service=cut, staff_member_id=alice.pk)
    assert {f.staff_member_id for f in only} == {alice.pk}


def _at(day, hour, minute=0, *, tz):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)


def test_starts_at_or_before_now_are_not_offered(salon):
    service = ServiceFactory(salon=salon, duration_minutes=30)
    _member(salon, [service])  # slots 09:00-12:00 from today on
    day = _day(salon)
    earlier = _at(day - dt.timedelta(days=1), 8, tz=salon.tz)
    now = _at(day, 10, tz=salon.tz)
    # The slots are there: a clock a day earlier offers the whole morning.
    assert _local(availability_for_day(salon=salon, day=day, service=service, now=earlier), salon.tz)[:2] == [
        "09:00",
        "09:15",
    ]

    starts = _local(availability_for_day(salon=salon, day=day, service=service, now=now), salon.tz)
    assert starts == ["10:15", "10:30", "10:45", "11:00", "11:15", "11:30"]  # 10:00 has begun
    yesterday = day - dt.timedelta(days=1)
    assert availability_for_day(salon=salon, day=yesterday, service=service, now=earlier) != []
    assert availability_for_day(salon=salon, day=yesterday, service=service, now=now) == []


def test_starts_beyond_the_booking_window_are_not_offered(salon):
    service = ServiceFactory(salon=salon, duration_minutes=30)
    _member(salon, [service])  # slots 09:00-12:00 for the next 5 days
    salon.booking_window_days = 1
    today = _day(salon, 1)
    now = _at(today, 10, tz=salon.tz)  # the window closes at 10:00 tomorrow
    tomorrow, after = today + dt.timedelta(days=1), today + dt.timedelta(days=2)

    starts = _local(availability_for_day(salon=salon, day=tomorrow, service=service, now=now), salon.tz)
    assert starts == ["09:00", "09:15", "09:30", "09:45", "10:00"]
    assert availability_for_day(salon=salon, day=after, service=service, now=now) == []
    # The day after has free slots: a wider window offers them.
    salon.booking_window_days = 30
    assert len(availability_for_day(salon=salon, day=after, service=service, now=now)) == 11


def test_inactive_service_offers_nothing(salon):
    service = ServiceFactory(salon=salon, is_active=False)
    _member(salon, [service])
    assert availability_for_day(salon=salon, day=_day(salon), service=service) == []


def test_query_count_does_not_grow_with_staff_or_slots(salon, django_assert_max_num_queries):
    service = ServiceFactory(salon=salon)
    for _ in range(8):
        _member(salon, [service], hours=(dt.time(8), dt.time(20)))
    with django_assert_max_num_queries(2):
        free = availability_for_day(salon=salon, day=_day(salon), service=service)
    assert len(free) == 8 * 47


def test_every_offered_start_can_be_booked_and_others_cannot(salon):
    service = ServiceFactory(salon=salon, duration_minutes=40, buffer_minutes=5)
    member = _member(salon, [service])
    day = _day(salon)
    make_booking(service=service, staff_member=member, start=dt.datetime.combine(day, dt.time(10), tzinfo=salon.tz))
    offered = {f.start for f in availability_for_day(salon=salon, day=day, service=service)}
    every_slot = [s.start for s in Slot.objects.filter(staff_member=member, start__date__gte=day).order_by("start")]
    every_slot = [s for s in every_slot if s.astimezone(salon.tz).date() == day]
    for start in every_slot:
        if start in offered:
            continue
        with pytest.raises(DomainError):
            make_booking(service=service, staff_member=member, start=start)
    for start in sorted(offered)[:3]:
        # Each offered start is bookable on its own (undo it so the next one is too).
        booking = make_booking(service=service, staff_member=member, start=start)
        booking_cancel(booking=booking, actor=Actor.system())


def test_times_are_reported_in_utc_and_convert_to_the_salon_day(salon):
    service = ServiceFactory(salon=salon)
    _member(salon, [service])
    day = next_local(salon, days=2).date()
    free = availability_for_day(salon=salon, day=day, service=service)
    assert all(f.start.astimezone(salon.tz).date() == day for f in free)
