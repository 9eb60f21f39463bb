"""The salon's minimum notice: availability never offers, and a customer's
booking or move is refused, a start sooner than ``now`` + the notice. Staff at
the desk are not held to it. Every rule is asked at a chosen ``now``."""

import datetime as dt

import pytest

from bookings.models import Booking
from bookings.services import Actor, booking_reschedule
from bookings.tests.factories import make_booking
from salonbook.errors import TooShortNotice
from salons.tests.factories import ServiceFactory, StaffMemberFactory
from slots.availability import availability_for_day
from slots.cache import availability_ttl
from slots.services import slots_sync_for_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def day_at_nine(salon):
    """A salon 09:00-12:00 with 90 minutes of notice; ``now`` is 08:50 local."""
    salon.minimum_notice_minutes = 90
    salon.save()
    service = ServiceFactory(salon=salon, duration_minutes=30)
    member = StaffMemberFactory(salon=salon, services=[service], hours=(dt.time(9), dt.time(12)))
    day = dt.date(2031, 3, 4)
    now = dt.datetime.combine(day, dt.time(8, 50), tzinfo=salon.tz)
    slots_sync_for_staff(staff_member=member, days=3, now=now - dt.timedelta(days=1))
    return salon, service, member, day, now


def _at(day, hour, minute, tz):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)


def test_availability_starts_no_sooner_than_the_notice(day_at_nine):
    salon, service, _member, day, now = day_at_nine
    starts = [f.start for f in availability_for_day(salon=salon, day=day, service=service, now=now)]
    # 08:50 + 90 minutes = 10:20: the first start on the 15-minute grid is 10:30.
    assert starts[0] == _at(day, 10, 30, salon.tz)
    assert _at(day, 10, 15, salon.tz) not in starts


def test_staff_see_the_starts_inside_the_notice(day_at_nine):
    salon, service, _member, day, now = day_at_nine
    starts = [f.start for f in availability_for_day(salon=salon, day=day, service=service, now=now, with_notice=False)]
    assert starts[0] == _at(day, 9, 0, salon.tz)


def test_a_customer_booking_inside_the_notice_is_refused_with_its_code(day_at_nine):
    salon, service, member, day, now = day_at_nine
    with pytest.raises(TooShortNotice) as refused:
        make_booking(service=service, staff_member=member, start=_at(day, 10, 15, salon.tz), now=now)
    assert refused.value.code == "minimum_notice" and refused.value.status == 400
    assert "start" in refused.value.details
    assert not Booking.objects.exists()
    # The first start availability offers is bookable at that same instant.
    make_booking(service=service, staff_member=member, start=_at(day, 10, 30, salon.tz), now=now)


def test_staff_book_a_walk_in_inside_the_notice(day_at_nine):
    salon, service, member, day, now = day_at_nine
    booking = make_booking(
        service=service, staff_member=member, start=_at(day, 9, 0, salon.tz), now=now, actor=Actor.staff(None)
    )
    assert booking.status == Booking.Status.CONFIRMED


def test_a_customer_cannot_move_a_booking_inside_the_notice(day_at_nine):
    salon, service, member, day, now = day_at_nine
    salon.cancellation_cutoff_hours = 0
    salon.save()
    booking = make_booking(service=service, staff_member=member, start=_at(day, 11, 30, salon.tz), now=now)
    with pytest.raises(TooShortNotice):
        booking_reschedule(booking=booking, start=_at(day, 9, 30, salon.tz), actor=Actor.customer(), now=now)
    booking_reschedule(booking=booking, start=_at(day, 9, 30, salon.tz), actor=Actor.staff(None), now=now)


def test_cached_free_starts_expire_when_the_first_comes_inside_the_notice():
    now = dt.datetime(2031, 3, 4, 9, 0, tzinfo=dt.UTC)
    value = {"slots": [{"start": "2031-03-04T10:32:00+00:00"}]}
    assert availability_ttl(value, now=now, notice_minutes=90) == 120
    assert availability_ttl(value, now=now, notice_minutes=0) == 300


def test_the_api_refuses_a_start_inside_the_notice_with_a_400(day_at_nine, customer_client, monkeypatch):
    salon, service, member, day, now = day_at_nine
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: now)
    body = {
        "salon": salon.slug,
        "service": service.pk,
        "staff": member.pk,
        "start": _at(day, 10, 15, salon.tz).isoformat(),
        "customer_name": "Ana",
        "customer_phone": "+447911123456",
    }
    response = customer_client.post("/api/bookings/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "minimum_notice"
    assert "start" in response.json()["error"]["details"]
