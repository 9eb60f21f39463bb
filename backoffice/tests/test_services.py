"""The back office's services: each change validated with the field named,
free future slots regenerated, booked and blocked ones never touched, and
bookings left outside new hours listed rather than cancelled."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from backoffice.services import salon_rules_change
from bookings.models import Booking
from bookings.selectors import bookings_outside_hours
from bookings.tests.factories import make_booking
from salonbook.errors import InvalidInput
from salons.models import Service, StaffMember, WorkingHours
from salons.schedules import DayHours, closure_add, closure_remove, day_off_add, working_week_set
from salons.services import (
    service_create,
    service_move,
    service_set_active,
    service_update,
    staff_member_create,
    staff_member_update,
)
from salons.tests.factories import ServiceFactory, StaffMemberFactory
from slots.availability import availability_for_day
from slots.models import Slot
from slots.services import slot_block, slots_sync_for_staff

# Committed for real: each change's after-commit work (slots regenerated,
# caches made stale) runs as the service returns, as in a request.
pytestmark = pytest.mark.django_db(transaction=True)

NINE_TO_FIVE = DayHours(dt.time(9), dt.time(17), dt.time(12), dt.time(13))


def _day(salon, days=3):
    return timezone.localdate(timezone=salon.tz) + dt.timedelta(days=days)


def _at(day, hour, salon, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=salon.tz)


@pytest.fixture
def worker(salon, service):
    member = StaffMemberFactory(salon=salon, services=[service], hours=False)
    working_week_set(staff_member=member, week=dict.fromkeys(range(7), NINE_TO_FIVE))
    return member


def _local_starts(member, day):
    begin = _at(day, 0, member.salon)
    slots = Slot.objects.filter(staff_member=member, start__gte=begin, start__lt=begin + dt.timedelta(days=1))
    return sorted(s.start.astimezone(member.salon.tz).strftime("%H:%M") for s in slots)


# --- Salon rules ---------------------------------------------------------------------------


def test_time_zone_change_is_refused_while_bookings_lie_ahead(salon, service, worker):
    make_booking(service=service, staff_member=worker, start=_at(_day(salon), 10, salon))
    with pytest.raises(InvalidInput) as refused:
        salon_rules_change(salon=salon, now=timezone.now(), timezone="Europe/Madrid", slot_minutes=30)
    assert set(refused.value.details) == {"timezone", "slot_minutes"}
    assert "1 active booking" in refused.value.details["timezone"][0]
    salon.refresh_from_db()
    assert (salon.timezone, salon.slot_minutes) == ("Europe/London", 15)


def test_time_zone_change_goes_through_once_the_bookings_are_past(salon, service, worker):
    make_booking(service=service, staff_member=worker, start=_at(_day(salon), 10, salon))
    later = timezone.now() + dt.timedelta(days=10)
    salon_rules_change(salon=salon, now=later, slot_minutes=30, minimum_notice_minutes=60)
    salon.refresh_from_db()
    assert (salon.slot_minutes, salon.minimum_notice_minutes) == (30, 60)


def test_slot_length_change_regenerates_free_slots(salon, service, worker):
    salon_rules_change(salon=salon, now=timezone.now(), slot_minutes=30)
    starts = _local_starts(worker, _day(salon))
    assert starts[:3] == ["09:00", "09:30", "10:00"] and "09:15" not in starts


def test_a_bad_rule_is_refused_with_its_field(salon):
    with pytest.raises(InvalidInput) as refused:
        salon_rules_change(salon=salon, now=timezone.now(), timezone="Mars/Base")
    assert "timezone" in refused.value.details


# --- Services ------------------------------------------------------------------------------


def test_services_are_added_last_and_moved(salon):
    first = service_create(salon=salon, name="Cut", duration_minutes=30, price=Decimal("20"))
    second = service_create(salon=salon, name="Beard", duration_minutes=15, price=Decimal("10"))
    assert (first.order, second.order) == (0, 1)
    service_move(service=second, step=-1)
    assert list(Service.objects.filter(salon=salon).values_list("name", flat=True)) == ["Beard", "Cut"]


def test_service_refusals_name_the_field(salon, service):
    with pytest.raises(InvalidInput) as refused:
        service_create(salon=salon, name="Cut", duration_minutes=2, price=Decimal("-1"))
    assert {"duration_minutes", "price"} <= set(refused.value.details)
    with pytest.raises(InvalidInput) as refused:
        service_update(service=service, name="Cut", duration_minutes=30, buffer_minutes=999, price=Decimal("5"))
    assert "buffer_minutes" in refused.value.details


def test_a_deactivated_service_keeps_its_bookings_and_leaves_availability(salon, service, worker):
    day = _day(salon)
    booking = make_booking(service=service, staff_member=worker, start=_at(day, 10, salon))
    assert availability_for_day(salon=salon, day=day, service=service)
    service_set_active(service=service, active=False)
    assert availability_for_day(salon=salon, day=day, service=service) == []
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


# --- Staff ---------------------------------------------------------------------------------


def test_staff_member_gets_only_this_salons_services(salon, service):
    other = ServiceFactory()
    with pytest.raises(InvalidInput) as refused:
        staff_member_create(salon=salon, name="Ana", role=StaffMember.Role.STYLIST, services=[other])
    assert "services" in refused.value.details
    member = staff_member_create(salon=salon, name="Ana", role=StaffMember.Role.STYLIST, services=[service])
    assert list(member.services.all()) == [service]


def test_deactivating_removes_free_slots_and_keeps_booked_ones(salon, service, worker):
    day = _day(salon)
    booking = make_booking(service=service, staff_member=worker, start=_at(day, 10, salon))
    staff_member_update(member=worker, name=worker.name, role=worker.role, services=[service], is_active=False)
    left = Slot.objects.filter(staff_member=worker)
    assert set(left.values_list("status", flat=True)) == {Slot.Status.BOOKED}
    assert [b.reference for b in bookings_outside_hours(salon=salon, now=timezone.now())] == [booking.reference]


# --- Hours ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        (DayHours(dt.time(17), dt.time(9)), "end_time"),
        (DayHours(dt.time(9), dt.time(17), dt.time(8), dt.time(10)), "break_start"),
        (DayHours(dt.time(9), dt.time(17), dt.time(16), dt.time(18)), "break_start"),
        (DayHours(dt.time(9), dt.time(17), dt.time(13), dt.time(12)), "break_end"),
        (DayHours(dt.time(9), dt.time(17), dt.time(12), None), "break_end"),
        (DayHours(dt.time(9), dt.time(17), dt.time(9), dt.time(17)), "break_start"),
    ],
)
def test_bad_hours_are_refused_with_the_day_and_field_named(salon, worker, hours, field):
    before = list(WorkingHours.objects.filter(staff_member=worker).values_list("weekday", "start_time", "end_time"))
    with pytest.raises(InvalidInput) as refused:
        working_week_set(staff_member=worker, week={0: NINE_TO_FIVE, 2: hours})
    assert list(refused.value.details) == [f"2.{field}"]
    after = list(WorkingHours.objects.filter(staff_member=worker).values_list("weekday", "start_time", "end_time"))
    assert after == before  # all or nothing


def test_new_hours_regenerate_free_slots_around_a_booked_and_a_blocked_one(salon, service, worker):
    day = _day(salon)
    booking = make_booking(service=service, staff_member=worker, start=_at(day, 9, salon))
    blocked = slot_block(slot=Slot.objects.get(staff_member=worker, start=_at(day, 16, salon, 45)))
    week = dict.fromkeys(range(7), NINE_TO_FIVE)
    week[day.weekday()] = DayHours(dt.time(11), dt.time(14))
    working_week_set(staff_member=worker, week=week)

    starts = _local_starts(worker, day)
    # Booked 09:00 and 09:15 and blocked 16:45 stay; free ones follow 11:00-14:00 with no break.
    assert starts[:2] == ["09:00", "09:15"] and starts[-1] == "16:45"
    assert "12:15" in starts and "10:00" not in starts and "14:00" not in starts
    blocked.refresh_from_db()
    assert blocked.status == Slot.Status.BLOCKED
    outside = bookings_outside_hours(salon=salon, now=timezone.now(), staff_member_id=worker.pk)
    assert [(b.reference, b.why) for b in outside] == [(booking.reference, f"outside {worker.name}'s hours that day")]


def test_a_day_not_worked_loses_its_free_slots(salon, worker):
    day = _day(salon)
    week = dict.fromkeys(range(7), NINE_TO_FIVE)
    week[day.weekday()] = None
    working_week_set(staff_member=worker, week=week)
    assert _local_starts(worker, day) == []
    assert _local_starts(worker, day + dt.timedelta(days=1))


def test_a_day_off_removes_that_day_only(salon, worker):
    day = _day(salon)
    day_off_add(staff_member=worker, date=day)
    assert _local_starts(worker, day) == []
    assert _local_starts(worker, day + dt.timedelta(days=1))


# --- Closures ------------------------------------------------------------------------------


def test_a_closure_removes_its_days_for_everyone_and_comes_back_when_removed(salon, service, worker):
    second = StaffMemberFactory(salon=salon, services=[service], hours=(dt.time(9), dt.time(12)))
    slots_sync_for_staff(staff_member=second)
    day = _day(salon)
    closure = closure_add(salon=salon, date_from=day, date_to=day + dt.timedelta(days=1), reason="Holiday")
    for member in (worker, second):
        assert _local_starts(member, day) == [] and _local_starts(member, day + dt.timedelta(days=1)) == []
        assert _local_starts(member, day + dt.timedelta(days=2))
    assert availability_for_day(salon=salon, day=day, service=service) == []
    closure_remove(closure=closure)
    assert _local_starts(worker, day)


def test_a_closure_keeps_booked_slots_and_lists_the_booking(salon, service, worker):
    day = _day(salon)
    booking = make_booking(service=service, staff_member=worker, start=_at(day, 10, salon))
    closure_add(salon=salon, date_from=day)
    assert _local_starts(worker, day) == ["10:00", "10:15"]
    outside = bookings_outside_hours(salon=salon, now=timezone.now())
    assert [(b.reference, b.why) for b in outside] == [(booking.reference, "the salon is closed that day")]


def test_a_closure_ending_before_it_starts_is_refused_on_date_to(salon):
    day = _day(salon)
    with pytest.raises(InvalidInput) as refused:
        closure_add(salon=salon, date_from=day, date_to=day - dt.timedelta(days=1))
    assert list(refused.value.details) == ["date_to"]


def test_outside_hours_list_costs_a_fixed_number_of_queries(salon, service, worker, django_assert_max_num_queries):
    for offset in range(1, 5):
        make_booking(service=service, staff_member=worker, start=_at(_day(salon, offset), 10, salon))
    closure_add(salon=salon, date_from=_day(salon, 1), date_to=_day(salon, 4))
    with django_assert_max_num_queries(4):
        assert len(bookings_outside_hours(salon=salon, now=timezone.now())) == 4


def test_the_last_owner_cannot_step_down_or_leave(salon, service):
    owner = StaffMemberFactory(salon=salon, role=StaffMember.Role.OWNER, hours=False)
    for role, active, field in ((StaffMember.Role.STYLIST, True, "role"), (StaffMember.Role.OWNER, False, "is_active")):
        with pytest.raises(InvalidInput) as refused:
            staff_member_update(member=owner, name=owner.name, role=role, services=[], is_active=active)
        assert list(refused.value.details) == [field]
    owner.refresh_from_db()
    assert owner.role == StaffMember.Role.OWNER and owner.is_active
    StaffMemberFactory(salon=salon, role=StaffMember.Role.OWNER, hours=False)
    staff_member_update(member=owner, name=owner.name, role=StaffMember.Role.STYLIST, services=[], is_active=True)
