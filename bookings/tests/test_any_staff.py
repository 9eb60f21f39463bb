"""Booking "anyone free": the salon picks the staff member, fairly, and the
pick is checked again under the slot locks."""

import datetime as dt
import itertools
from unittest import mock

import pytest
from rest_framework.test import APIClient

from bookings import booking_plans
from bookings.booking_plans import booking_create_with_anyone
from bookings.models import Booking
from bookings.services import Actor, Customer
from bookings.tests.factories import make_booking, next_local
from salonbook.errors import SlotUnavailable
from salonbook.tests.helpers import booking_body, error_of
from salons.tests.factories import ServiceFactory, StaffMemberFactory
from slots.services import slots_sync_for_staff

pytestmark = pytest.mark.django_db

# Each "anyone" booking is another customer's: one phone has one booking at a start.
_customers = (Customer(f"Customer {n}", f"+4479111235{n:02d}") for n in itertools.count())


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATELIMIT_ENABLE = False


@pytest.fixture
def team(salon, service):
    """Three stylists who do the cut, made in id order."""
    members = [StaffMemberFactory(salon=salon, services=[service], name=f"Stylist {n}") for n in range(3)]
    for member in members:
        slots_sync_for_staff(staff_member=member, days=5)
    return members


def _anyone(service, start):
    return booking_create_with_anyone(
        salon=service.salon,
        service=service,
        start=start,
        customer=next(_customers),
        actor=Actor.customer(),
        now=dt.datetime.now(dt.UTC),
    )


def test_ties_go_to_the_lowest_id(service, team):
    booking = _anyone(service, next_local(service.salon, days=2, at=dt.time(10)))
    assert booking.staff_member == team[0]


def test_the_one_with_least_booked_time_that_day_is_chosen(salon, service, team):
    long_service = ServiceFactory(salon=salon, duration_minutes=90)
    for member in team:
        member.services.add(long_service)
    day_at = lambda hour: next_local(salon, days=2, at=dt.time(hour))  # noqa: E731
    make_booking(service=long_service, staff_member=team[0], start=day_at(9))  # 90 min
    make_booking(service=service, staff_member=team[1], start=day_at(9), phone="+447911123400")  # 30 min
    make_booking(service=long_service, staff_member=team[2], start=day_at(13))  # 90 min
    # Another day's bookings do not count.
    make_booking(service=long_service, staff_member=team[1], start=next_local(salon, days=3, at=dt.time(9)))
    assert _anyone(service, day_at(15)).staff_member == team[1]
    # Now team[1] has 60 minutes, the others 90: team[1] again; then a tie of 90 goes to team[0].
    assert _anyone(service, day_at(16)).staff_member == team[1]
    assert _anyone(service, day_at(16)).staff_member == team[0]


def test_someone_not_free_then_is_never_chosen(salon, service, team):
    start = next_local(salon, days=2, at=dt.time(11))
    make_booking(service=service, staff_member=team[0], start=start)
    assert _anyone(service, start).staff_member == team[1]


def test_a_pick_taken_meanwhile_falls_to_the_next_one_free(salon, service, team):
    start = next_local(salon, days=2, at=dt.time(11))
    # The choice is read before another request books team[0] at that time.
    stale_choice = [m.pk for m in team]

    def stale(**kwargs):
        make_booking(service=service, staff_member=team[0], start=start, name="Faster", phone="+447911123400")
        return stale_choice

    with mock.patch.object(booking_plans, "staff_free_at", side_effect=stale):
        booking = _anyone(service, start)
    assert booking.staff_member == team[1]
    assert Booking.objects.filter(start=start).count() == 2


def test_nobody_free_is_409(salon, service, team):
    start = next_local(salon, days=2, at=dt.time(11))
    for n, member in enumerate(team):
        make_booking(service=service, staff_member=member, start=start, name=f"C{n}", phone=f"+4479111234{n:02d}")
    with pytest.raises(SlotUnavailable):
        _anyone(service, start)


def test_api_without_staff_books_anyone_and_says_who(salon, service, team):
    body = booking_body(salon=salon, service=service, staff_member=team[0], start=next_local(salon, days=2))
    del body["staff"]
    response = APIClient().post("/api/bookings/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["staff"] == {"id": team[0].pk, "name": team[0].name}


def test_api_with_null_staff_books_anyone(salon, service, team):
    start = next_local(salon, days=2)
    make_booking(service=service, staff_member=team[0], start=start, phone="+447911123400")
    body = booking_body(salon=salon, service=service, staff_member=team[0], start=start, staff=None)
    response = APIClient().post("/api/bookings/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["staff"]["id"] == team[1].pk


def test_api_anyone_when_all_are_taken_is_409(salon, service, team):
    start = next_local(salon, days=2)
    for n, member in enumerate(team):
        make_booking(service=service, staff_member=member, start=start, name=f"C{n}", phone=f"+4479111234{n:02d}")
    body = booking_body(salon=salon, service=service, staff_member=team[0], start=start, staff=None)
    error_of(APIClient().post("/api/bookings/", body, format="json"), 409, "slot_unavailable")


def test_api_anyone_at_a_past_time_is_400_like_a_named_booking(salon, service, team):
    body = booking_body(
        salon=salon, service=service, staff_member=team[0], start=next_local(salon, days=-1), staff=None
    )
    error = error_of(APIClient().post("/api/bookings/", body, format="json"), 400, "invalid")
    assert "start" in error["details"]


def test_api_anyone_for_another_salons_service_is_400(salon, service, team):
    foreign = ServiceFactory()
    body = booking_body(salon=salon, service=foreign, staff_member=team[0], start=next_local(salon, days=2), staff=None)
    error = error_of(APIClient().post("/api/bookings/", body, format="json"), 400, "invalid")
    assert "service" in error["details"]
