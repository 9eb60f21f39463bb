"""The month calendar: each day's count equals the day's availability, in a
few queries for the whole month, cached and made stale with availability."""

import calendar
import datetime as dt
import random
import zoneinfo

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from bookings.tests.factories import make_booking, next_local
from salonbook.tests.helpers import error_of
from salons.tests.factories import SalonFactory, ServiceFactory, StaffMemberFactory
from slots.availability import availability_for_day, availability_for_days, free_start_counts
from slots.models import Slot
from slots.selectors import covers, day_bounds
from slots.services import slots_sync_for_staff

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATELIMIT_ENABLE = False


def _calendar(salon, service, month, **extra):
    return APIClient().get(
        f"/api/salons/{salon.slug}/calendar/", {"service": service.pk, "month": f"{month:%Y-%m}", **extra}
    )


def _this_month(salon):
    return timezone.localdate(timezone=salon.tz).replace(day=1)


def _oracle(salon, service, day, now):
    """The day's free starts by the rule itself, slot by slot (``covers``)."""
    begin, end = day_bounds(salon, day)
    busy = service.busy_time
    staff_ids = set(service.staff.filter(is_active=True, salon=salon).values_list("pk", flat=True))
    slots = list(
        Slot.objects.filter(staff_member_id__in=staff_ids, start__gte=begin).order_by("staff_member_id", "start")
    )
    free = []
    for slot in slots:
        if not (begin <= slot.start < end) or slot.start <= now or slot.start > salon.booking_window_closes(now):
            continue
        run = [
            s for s in slots if s.staff_member_id == slot.staff_member_id and slot.start <= s.start < slot.start + busy
        ]
        if covers(run, slot.start, busy):
            free.append((slot.start, slot.staff_member_id))
    return sorted(free)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    month=st.sampled_from([dt.date(2030, 3, 1), dt.date(2030, 10, 1)]),  # both have a clock change
    staff=st.integers(1, 3),
    slot_minutes=st.sampled_from([15, 30]),
    duration=st.integers(5, 120),
    buffer=st.sampled_from([0, 5, 15]),
    opens=st.integers(6, 11),
    closes=st.integers(13, 21),
    taken_share=st.floats(0, 0.6),
    seed=st.integers(0, 10_000),
)
def test_each_days_count_equals_that_days_availability(
    db, month, staff, slot_minutes, duration, buffer, opens, closes, taken_share, seed
):
    now = dt.datetime.combine(month + dt.timedelta(days=9), dt.time(12, 7), tzinfo=LONDON)
    caches["default"].clear()
    with transaction.atomic():
        savepoint = transaction.savepoint()
        salon = SalonFactory(slot_minutes=slot_minutes, booking_window_days=18)
        service = ServiceFactory(salon=salon, duration_minutes=duration, buffer_minutes=buffer)
        members = [
            StaffMemberFactory(salon=salon, services=[service], hours=(dt.time(opens), dt.time(closes)))
            for _ in range(staff)
        ]
        StaffMemberFactory(salon=salon, services=[service], is_active=False)
        for member in members:
            slots_sync_for_staff(staff_member=member, days=24, now=now)
        rng = random.Random(seed)
        ids = list(Slot.objects.filter(salon=salon).values_list("pk", flat=True))
        taken = rng.sample(ids, int(len(ids) * taken_share))
        Slot.objects.filter(pk__in=taken[::2]).update(status=Slot.Status.BOOKED)
        Slot.objects.filter(pk__in=taken[1::2]).update(status=Slot.Status.BLOCKED)

        length = calendar.monthrange(month.year, month.month)[1]
        by_day = availability_for_days(salon=salon, first_day=month, days=length, service=service, now=now)
        counts = free_start_counts(salon=salon, first_day=month, days=length, service=service, now=now)
        for offset in range(length):
            day = month + dt.timedelta(days=offset)
            month_view = [(f.start, f.staff_member_id) for f in by_day.get(day, [])]
            day_view = [
                (f.start, f.staff_member_id)
                for f in availability_for_day(salon=salon, day=day, service=service, now=now)
            ]
            assert month_view == day_view, day
            assert sorted(month_view) == _oracle(salon, service, day, now), day
            assert counts.get(day, (0, None)) == ((len(day_view), day_view[0][0]) if day_view else (0, None)), day
        transaction.savepoint_rollback(savepoint)


def test_api_calendar_matches_the_availability_endpoint_day_by_day(salon, service, staff_member):
    colleague = StaffMemberFactory(salon=salon, services=[service], hours=(dt.time(9), dt.time(13)))
    slots_sync_for_staff(staff_member=colleague, days=40)
    make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=2, at=dt.time(10)))
    client = APIClient()
    for month in (_this_month(salon), (_this_month(salon) + dt.timedelta(days=32)).replace(day=1)):
        response = _calendar(salon, service, month)
        assert response.status_code == 200, response.json()
        body = response.json()
        assert (body["month"], body["timezone"], body["service"], body["staff"]) == (
            f"{month:%Y-%m}",
            "Europe/London",
            service.pk,
            None,
        )
        assert [row["date"] for row in body["days"]] == [
            (month + dt.timedelta(days=n)).isoformat() for n in range(calendar.monthrange(month.year, month.month)[1])
        ]
        for row in body["days"]:
            slots = client.get(
                f"/api/salons/{salon.slug}/availability/", {"service": service.pk, "date": row["date"]}
            ).json()["slots"]
            assert row["free_starts"] == len(slots), row["date"]
            assert row["first_start"] == (slots[0]["start"] if slots else None)
    assert any(row["free_starts"] for row in body["days"]) or month.month != _this_month(salon).month


def test_staff_filter(salon, service, staff_member):
    colleague = StaffMemberFactory(salon=salon, services=[service])
    slots_sync_for_staff(staff_member=colleague, days=7)
    month = next_local(salon, days=2).date().replace(day=1)
    day = next_local(salon, days=2).date().isoformat()
    everyone = {r["date"]: r["free_starts"] for r in _calendar(salon, service, month).json()["days"]}
    one = _calendar(salon, service, month, staff=colleague.pk).json()
    assert one["staff"] == colleague.pk
    assert {r["date"]: r["free_starts"] for r in one["days"]}[day] * 2 == everyone[day]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"month": "2030-13"}, "month"),
        ({"month": "May 2030"}, "month"),
        ({"month": "1900-01"}, "month"),
        ({"service": "x"}, "service"),
        ({"staff": 0}, "staff"),
    ],
)
def test_bad_queries_are_400_by_field(salon, service, staff_member, query, field):
    params = {"service": service.pk, "month": "2030-05", **query}
    error = error_of(APIClient().get(f"/api/salons/{salon.slug}/calendar/", params), 400, "invalid")
    assert field in error["details"]


def test_another_salons_service_is_400_and_an_unknown_salon_404(salon, service, staff_member):
    other = ServiceFactory()
    error_of(_calendar(salon, other, _this_month(salon)), 400, "invalid")
    error_of(APIClient().get("/api/salons/nope/calendar/", {"service": service.pk, "month": "2030-05"}), 404)


def _query_count(salon, service, month) -> int:
    caches["default"].clear()
    with CaptureQueriesContext(connection) as queries:
        assert _calendar(salon, service, month).status_code == 200
    return len(queries)


def test_the_month_costs_the_same_few_queries_whatever_the_staff_days_or_bookings(salon, service, staff_member):
    month = _this_month(salon)
    few = _query_count(salon, service, month)
    assert few <= 7  # business info on a miss (4), the service, its staff, the month's slots
    for n in range(5):
        member = StaffMemberFactory(salon=salon, services=[service])
        slots_sync_for_staff(staff_member=member, days=30)
        for day in range(1, 4):
            make_booking(service=service, staff_member=member, start=next_local(salon, days=day, at=dt.time(9 + n)))
    assert _query_count(salon, service, month) == few


def test_month_selector_is_two_queries(salon, service, staff_member, django_assert_max_num_queries):
    for _ in range(4):
        slots_sync_for_staff(staff_member=StaffMemberFactory(salon=salon, services=[service]), days=30)
    with django_assert_max_num_queries(2):
        by_day = availability_for_days(salon=salon, first_day=_this_month(salon), days=31, service=service)
    assert by_day


def test_cached_and_stale_after_a_booking_that_month(salon, service, staff_member, django_capture_on_commit_callbacks):
    start = next_local(salon, days=2, at=dt.time(10))
    month = start.date().replace(day=1)
    first = _calendar(salon, service, month).json()
    with CaptureQueriesContext(connection) as queries:
        again = _calendar(salon, service, month).json()
    assert again == first
    assert len(queries) == 0  # from the cache
    with django_capture_on_commit_callbacks(execute=True):  # the events that invalidate
        make_booking(service=service, staff_member=staff_member, start=start)
    after = {r["date"]: r["free_starts"] for r in _calendar(salon, service, month).json()["days"]}
    before = {r["date"]: r["free_starts"] for r in first["days"]}
    assert after[start.date().isoformat()] < before[start.date().isoformat()]


def test_calendar_is_in_the_schema_with_an_example():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/salons/{slug}/calendar/"]["get"]
    assert operation["operationId"] == "salons_calendar"
    examples = operation["responses"]["200"]["content"]["application/json"]["examples"]
    assert any("days" in example["value"] for example in examples.values())
    post = schema["paths"]["/api/bookings/"]["post"]
    assert {"Anyone free", "Every four weeks, six times (staff)"} <= {
        e["summary"] for e in post["requestBody"]["content"]["application/json"]["examples"].values()
    }
    assert "/api/series/{id}/cancel/" in schema["paths"]
