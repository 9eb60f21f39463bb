"""A staff member's private calendar feed: what it holds, its cache, its secret."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from bookings.customer_data import customer_erase
from bookings.customers import ERASED_NAME
from bookings.models import Booking
from bookings.services import Actor, booking_cancel, booking_confirm, booking_reschedule
from bookings.tests.factories import make_booking, make_past_booking, next_local
from salons.models import StaffMember
from salons.services import business_info_save, calendar_token_for, calendar_token_reset
from salons.tests.factories import StaffMemberFactory
from slots.services import slots_sync_for_staff

pytestmark = pytest.mark.django_db
# Booking events, and so the cache's invalidation, come after commit: the
# tests of the cache commit for real.
after_commit = pytest.mark.django_db(transaction=True)


def feed_url(member: StaffMember) -> str:
    return reverse("calendar-feed", kwargs={"secret": calendar_token_for(staff_member=member)})


def events(client, member: StaffMember) -> dict[str, dict]:
    """The feed's events by UID, each with the fields the tests look at."""
    response = client.get(feed_url(member))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return {
        str(event["UID"]): {
            "start": event.start,
            "end": event.end,
            "summary": str(event["SUMMARY"]),
            "location": str(event["LOCATION"]),
            "status": str(event["STATUS"]),
        }
        for event in calendar.events
    }


def uid(booking: Booking) -> str:
    return f"{booking.reference}@salonbook"


@pytest.fixture
def colleague(salon, service):
    member = StaffMemberFactory(salon=salon, services=[service], name="Carla Colleague")
    slots_sync_for_staff(staff_member=member, days=7)
    return member


def test_feed_has_the_members_bookings_as_utc_instants_with_the_salon_as_place(client, salon, service, staff_member):
    salon.address = "1 High Street\nLondon"
    business_info_save(instance=salon)
    # 10:00 in London in summer or winter: the feed says the UTC instant.
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=2), name="Maya Patel")

    response = client.get(feed_url(staff_member))
    calendar = Calendar.from_ical(response.content)
    event = events(client, staff_member)[uid(booking)]

    assert event["start"] == booking.start and event["start"].utcoffset() == dt.timedelta(0)
    assert event["end"] == booking.end
    assert event["summary"] == "Maya Patel: Cut"
    assert event["location"] == f"{salon.name}, 1 High Street London"
    assert event["status"] == "CONFIRMED"
    assert b"DTSTART:" in response.content and b"Z\r\n" in response.content
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/London"
    assert "+447911123456" not in response.content.decode()  # no customer phones in a copied calendar
    assert response["Cache-Control"].startswith("private")


def test_feed_covers_30_days_back_to_the_booking_window_and_leaves_out_cancelled_and_others(
    client, salon, service, staff_member, colleague
):
    recent = make_past_booking(service=service, staff_member=staff_member, hours_ago=2)
    long_ago = timezone.now() - dt.timedelta(days=31)
    slots_sync_for_staff(staff_member=staff_member, days=2, now=long_ago)
    too_old = make_booking(
        service=service,
        staff_member=staff_member,
        start=(long_ago + dt.timedelta(hours=3)).astimezone(salon.tz).replace(minute=0, second=0, microsecond=0),
        now=long_ago,
    )
    soon = make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=2))
    later = make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=5))
    cancelled = make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=3))
    booking_cancel(booking=cancelled, actor=Actor.system())
    theirs = make_booking(
        service=service, staff_member=colleague, start=next_local(salon, days=2), phone="+447911123499"
    )
    # The window closes before ``later`` now.
    salon.booking_window_days = 4
    business_info_save(instance=salon)

    found = events(client, staff_member)

    assert set(found) == {uid(recent), uid(soon)}
    assert uid(too_old) not in found and uid(later) not in found
    assert uid(cancelled) not in found and uid(theirs) not in found


def test_a_pending_booking_is_tentative(client, salon, service, staff_member):
    salon.auto_confirm = False
    business_info_save(instance=salon)
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=2))
    assert events(client, staff_member)[uid(booking)]["status"] == "TENTATIVE"


def test_unknown_secret_and_a_member_who_left_get_404(client, salon, staff_member):
    assert client.get(reverse("calendar-feed", kwargs={"secret": "no-such-secret"})).status_code == 404
    url = feed_url(staff_member)
    staff_member.is_active = False
    business_info_save(instance=staff_member)
    assert client.get(url).status_code == 404


def test_a_reset_secret_stops_the_old_url_at_once_even_when_cached(client, staff_member):
    old = feed_url(staff_member)
    assert client.get(old).status_code == 200  # now cached

    calendar_token_reset(staff_member=staff_member)

    assert client.get(old).status_code == 404
    assert client.get(feed_url(staff_member)).status_code == 200


def test_the_secret_is_made_once_and_a_racing_first_request_gets_the_same(staff_member):
    loaded_before = StaffMember.objects.get(pk=staff_member.pk)  # no secret yet, as a second request saw it
    first = calendar_token_for(staff_member=staff_member)
    assert calendar_token_for(staff_member=loaded_before) == first and len(first) >= 40
    assert StaffMember.objects.get(pk=staff_member.pk).calendar_token == first


@after_commit
def test_feed_queries_are_the_same_for_one_booking_or_twelve(
    client, salon, service, staff_member, django_assert_num_queries
):
    make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=1))
    url = feed_url(staff_member)
    # Uncached: the member by its secret, then the bookings.
    with django_assert_num_queries(2):
        assert len(Calendar.from_ical(client.get(url).content).events) == 1
    for hour in range(9, 20):
        make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=2, at=dt.time(hour)))
    with django_assert_num_queries(2):
        assert len(Calendar.from_ical(client.get(url).content).events) == 12
    # Cached: the secret is still looked up, the bookings are not.
    with django_assert_num_queries(1):
        assert len(Calendar.from_ical(client.get(url).content).events) == 12


@after_commit
def test_the_feed_is_cached_until_a_booking_event_says_otherwise(client, salon, service, staff_member):
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=2), name="Old Name")
    assert events(client, staff_member)[uid(booking)]["summary"] == "Old Name: Cut"
    # A change no event announces is not seen: the answer comes from the cache...
    Booking.objects.filter(pk=booking.pk).update(customer_name="New Name")
    assert events(client, staff_member)[uid(booking)]["summary"] == "Old Name: Cut"
    # ...until the next event about this member's bookings.
    make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=3))
    assert events(client, staff_member)[uid(booking)]["summary"] == "New Name: Cut"


@after_commit
def test_moves_cancellations_and_confirmations_reach_the_cached_feed(client, salon, service, staff_member, colleague):
    salon.auto_confirm = False
    business_info_save(instance=salon)
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=2))
    assert events(client, staff_member)[uid(booking)]["status"] == "TENTATIVE"

    booking = booking_confirm(booking=booking, actor=Actor.system())
    assert events(client, staff_member)[uid(booking)]["status"] == "CONFIRMED"

    later = next_local(salon, days=2, at=dt.time(14))
    booking = booking_reschedule(booking=booking, start=later, actor=Actor.system())
    assert events(client, staff_member)[uid(booking)]["start"] == later

    # Moved to a colleague: it leaves this feed and enters theirs.
    assert uid(booking) not in events(client, colleague)
    booking = booking_reschedule(booking=booking, start=later, staff_member=colleague, actor=Actor.system())
    assert uid(booking) not in events(client, staff_member)
    assert uid(booking) in events(client, colleague)

    booking_cancel(booking=booking, actor=Actor.system())
    assert uid(booking) not in events(client, colleague)


@after_commit
def test_a_salon_change_reaches_the_cached_feed(client, salon, service, staff_member):
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=2))
    assert events(client, staff_member)[uid(booking)]["location"] == salon.name
    salon.name = "Renamed Salon"
    business_info_save(instance=salon)
    assert events(client, staff_member)[uid(booking)]["location"] == "Renamed Salon"


@after_commit
def test_an_erased_customer_leaves_the_cached_feed(client, salon, service, staff_member):
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=2), name="Ana Silva")
    assert events(client, staff_member)[uid(booking)]["summary"] == "Ana Silva: Cut"
    customer_erase(salon=salon, phone=booking.customer_phone, actor=Actor.system())
    assert events(client, staff_member)[uid(booking)]["summary"] == f"{ERASED_NAME}: Cut"
