import datetime as dt

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from bookings.tests.factories import make_booking, next_local
from salonbook.tests.helpers import booking_body, client_for, error_of
from salons.tests.factories import ServiceFactory, StaffMemberFactory
from slots.holds import Holder, held_slots
from slots.models import Slot
from slots.services import slot_block, slots_sync_for_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATELIMIT_ENABLE = False


def availability(salon, service, day, **params):
    query = "&".join(f"{k}={v}" for k, v in {"date": day, "service": service.pk, **params}.items())
    return APIClient().get(f"/api/salons/{salon.slug}/availability/?{query}")


def test_availability_lists_free_starts_in_the_salons_zone(salon, service, staff_member):
    day = next_local(salon).date()
    body = availability(salon, service, day).json()
    assert body["date"] == day.isoformat() and body["timezone"] == "Europe/London"
    assert body["service"] == service.pk and body["staff"] is None
    first = body["slots"][0]
    assert first["staff"] == staff_member.pk
    start = dt.datetime.fromisoformat(first["start"])
    assert start.utcoffset() == timezone.localtime(start, salon.tz).utcoffset()
    assert dt.datetime.fromisoformat(first["end"]) - start == dt.timedelta(minutes=30)


def test_a_taken_or_blocked_time_is_not_offered(salon, service, staff_member, django_capture_on_commit_callbacks):
    day_start = next_local(salon, at=dt.time(10))
    with django_capture_on_commit_callbacks(execute=True):
        make_booking(service=service, staff_member=staff_member, start=day_start)
        slot_block(slot=Slot.objects.get(staff_member=staff_member, start=day_start + dt.timedelta(hours=2)))
    starts = {s["start"] for s in availability(salon, service, day_start.date()).json()["slots"]}
    # 09:45 would run into the booking; 10:00 and 10:15 are taken; 11:45 runs into the block.
    for taken in (dt.time(9, 45), dt.time(10), dt.time(10, 15), dt.time(11, 45), dt.time(12)):
        assert next_local(salon, at=taken).isoformat() not in starts
    assert next_local(salon, at=dt.time(10, 30)).isoformat() in starts


def test_filter_by_staff_member(salon, service, staff_member):
    colleague = StaffMemberFactory(salon=salon, services=[service], hours=(dt.time(9), dt.time(10)))
    slots_sync_for_staff(staff_member=colleague, days=3)
    day = next_local(salon).date()
    body = availability(salon, service, day, staff=colleague.pk).json()
    assert body["staff"] == colleague.pk
    assert {s["staff"] for s in body["slots"]} == {colleague.pk}
    assert len(body["slots"]) == 3  # 09:00, 09:15, 09:30


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("service=1", "date"),
        ("date=2030-02-30&service=1", "date"),
        ("date=tomorrow&service=1", "date"),
        ("date=9999-12-31&service=1", "date"),
        ("date=2030-01-01", "service"),
        ("date=2030-01-01&service=cut", "service"),
        ("date=2030-01-01&service=0", "service"),
        ("date=2030-01-01&service=99999999999999999999999", "service"),
        ("date=2030-01-01&service={service}&staff=x", "staff"),
    ],
)
def test_availability_query_validation(salon, service, query, field):
    response = APIClient().get(f"/api/salons/{salon.slug}/availability/?{query.format(service=service.pk)}")
    assert field in error_of(response, 400, "invalid")["details"]


def test_a_service_of_another_salon_is_a_400(salon, service):
    other = ServiceFactory()
    error = error_of(availability(salon, other, "2030-01-01"), 400, "invalid")
    assert error["details"] == {"service": ["This salon does not offer that service."]}


def test_a_staff_member_not_doing_the_service_is_a_400(salon, service, staff_member):
    other = StaffMemberFactory(salon=salon, services=[], hours=False)
    elsewhere = StaffMemberFactory(hours=False)
    assert "staff" in error_of(availability(salon, service, "2030-01-01", staff=other.pk), 400)["details"]
    assert "staff" in error_of(availability(salon, service, "2030-01-01", staff=elsewhere.pk), 400)["details"]


def test_a_day_in_the_past_has_no_free_starts_and_today_only_later_ones(salon, service, staff_member):
    # Slots made two days ago are still there, now in the past.
    slots_sync_for_staff(staff_member=staff_member, days=3, now=timezone.now() - dt.timedelta(days=2))
    today = timezone.localdate(timezone=salon.tz)
    yesterday = today - dt.timedelta(days=1)
    assert Slot.objects.filter(staff_member=staff_member, start__date=yesterday, status=Slot.Status.AVAILABLE).exists()
    before = timezone.now()
    assert availability(salon, service, yesterday).json()["slots"] == []
    starts = [dt.datetime.fromisoformat(s["start"]) for s in availability(salon, service, today).json()["slots"]]
    assert all(start > before for start in starts)


def test_a_day_beyond_the_booking_window_has_no_free_starts(salon, service, staff_member):
    salon.booking_window_days = 2
    salon.save(update_fields=["booking_window_days"])
    beyond = timezone.localdate(timezone=salon.tz) + dt.timedelta(days=4)
    # staff_member has a week of slots: the day has free ones the window hides.
    assert Slot.objects.filter(staff_member=staff_member, start__date=beyond, status=Slot.Status.AVAILABLE).count() > 50
    assert availability(salon, service, next_local(salon).date()).json()["slots"] != []
    assert availability(salon, service, beyond).json()["slots"] == []


def test_every_offered_start_can_be_booked_and_others_are_refused(
    salon, staff_member, django_capture_on_commit_callbacks
):
    """Availability and booking agree, for a service longer than one slot."""
    colour = ServiceFactory(salon=salon, duration_minutes=40, buffer_minutes=5)
    staff_member.services.add(colour)
    day = next_local(salon, days=2).date()
    with django_capture_on_commit_callbacks(execute=True):
        make_booking(service=colour, staff_member=staff_member, start=next_local(salon, days=2, at=dt.time(11)))
    offered = availability(salon, colour, day, staff=staff_member.pk).json()["slots"]
    offered_starts = {s["start"] for s in offered}
    all_starts = [next_local(salon, days=2, at=dt.time(h, m)) for h in range(8, 14) for m in (0, 15, 30, 45)]
    for start in all_starts:
        body = booking_body(salon=salon, service=colour, staff_member=staff_member, start=start)
        with django_capture_on_commit_callbacks(execute=True):
            response = APIClient().post("/api/bookings/", body, format="json")
        if start.isoformat() in offered_starts:
            assert response.status_code == 201, (start, response.content)
            # Booking it takes it (and its neighbours) out of availability.
            offered_starts = {
                s["start"] for s in availability(salon, colour, day, staff=staff_member.pk).json()["slots"]
            }
            assert start.isoformat() not in offered_starts
        else:
            assert response.status_code in (400, 409), (start, response.content)


def _queries(salon, service, day) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert availability(salon, service, day).status_code == 200
    return len(queries)


def test_availability_query_count_does_not_grow_with_staff_or_slots(
    salon, service, staff_member, django_assert_max_num_queries
):
    day = next_local(salon).date()
    few = _queries(salon, service, day)
    for _ in range(8):
        member = StaffMemberFactory(salon=salon, services=[service])
        slots_sync_for_staff(staff_member=member, days=3)
    caches["default"].clear()
    assert _queries(salon, service, day) == few
    # business info: salon, services, staff, their services; free starts: service, staff ids, slots
    assert few <= 7
    with django_assert_max_num_queries(0):  # served from the cache
        assert availability(salon, service, day).status_code == 200


# --- Blocking ------------------------------------------------------------------------------

BLOCK_ACCESS = {"anonymous": 401, "staff_here": 200, "staff_elsewhere": 404, "plain_user": 403, "admin": 200}


@pytest.fixture
def people(staff_of_salon, staff_of_other_salon, admin_user, django_user_model):
    plain = django_user_model.objects.create_user("plain", password="pass-word-123")
    return {
        "anonymous": APIClient(),
        "staff_here": client_for(staff_of_salon, token=True),
        "staff_elsewhere": client_for(staff_of_other_salon, token=True),
        "plain_user": client_for(plain),
        "admin": client_for(admin_user),
    }


@pytest.fixture
def free_slot(staff_member):
    return Slot.objects.filter(staff_member=staff_member, status=Slot.Status.AVAILABLE).order_by("start")[10]


@pytest.mark.parametrize(("person", "status"), BLOCK_ACCESS.items())
def test_who_can_block_and_unblock_a_slot(people, free_slot, person, status):
    client = people[person]
    response = client.post(f"/api/slots/{free_slot.pk}/block/", {"reason": "Lunch"}, format="json")
    free_slot.refresh_from_db()
    if status == 200:
        assert response.status_code == 200
        assert response.json()["status"] == "blocked" and response.json()["block_reason"] == "Lunch"
        assert free_slot.status == Slot.Status.BLOCKED
        response = client.post(f"/api/slots/{free_slot.pk}/unblock/")
        assert response.status_code == 200 and response.json()["status"] == "available"
    else:
        error_of(response, status)
        assert free_slot.status == Slot.Status.AVAILABLE
        error_of(client.post(f"/api/slots/{free_slot.pk}/unblock/"), status)


def test_blocking_a_booked_slot_answers_409(people, service, staff_member):
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon))
    slot = held_slots(Holder.booking(booking.pk)).first()
    error = error_of(people["staff_here"].post(f"/api/slots/{slot.pk}/block/"), 409, "invalid_transition")
    assert error["details"]["status"] == "booked"


def test_block_validation_and_unknown_slots(people, free_slot):
    client = people["staff_here"]
    assert (
        "reason"
        in error_of(client.post(f"/api/slots/{free_slot.pk}/block/", {"reason": "x" * 121}, format="json"), 400)[
            "details"
        ]
    )
    error_of(client.post(f"/api/slots/{free_slot.pk}/block/", [1], format="json"), 400)
    error_of(client.post("/api/slots/999999999/block/"), 404)
    error_of(client.post("/api/slots/99999999999999999999999/block/"), 404)
