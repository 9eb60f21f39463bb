"""Past slots that hold nothing are removed; bookings keep their own start and
end, so history, reports, the calendar feed and messages keep working."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from bookings.messages.about import booking_subject
from bookings.models import Booking
from bookings.services import Actor, booking_cancel
from bookings.tests.factories import make_booking, make_past_booking, next_local
from bookings.tests.test_calendar_feed import events, uid
from messaging.models import Message
from reports.selectors import salon_report
from slots.models import Slot
from slots.purge import slots_purge_past

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(service, staff_member, django_capture_on_commit_callbacks):
    """A booking that took place (its slots still held) and one cancelled
    (its slots free), both in the past once the clock moves on."""
    with django_capture_on_commit_callbacks(execute=True):
        kept = make_past_booking(service=service, staff_member=staff_member, hours_ago=3)
        cancelled = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=1))
        booking_cancel(booking=cancelled, actor=Actor.system())
    return kept, cancelled


def test_past_slots_that_hold_nothing_go_and_held_or_future_ones_stay(served, staff_member):
    kept, cancelled = served
    cancelled_slot_starts = [cancelled.start + dt.timedelta(minutes=15 * n) for n in range(2)]
    assert Slot.objects.filter(staff_member=staff_member, start__in=cancelled_slot_starts).count() == 2
    held = Slot.objects.filter(hold__kind="booking", hold__holder_id=kept.pk)
    held_before = held.count()
    later = cancelled.end + dt.timedelta(days=3)

    removed = slots_purge_past(now=later, batch=7)  # several batches

    assert removed > 0
    assert not Slot.objects.filter(end__lt=later - dt.timedelta(days=2), hold__isnull=True).exists()
    assert not Slot.objects.filter(staff_member=staff_member, start__in=cancelled_slot_starts).exists()
    assert held.count() == held_before > 0  # held: kept
    assert Slot.objects.filter(start__gte=later - dt.timedelta(days=2)).exists()  # recent and future: kept
    assert slots_purge_past(now=later) == 0  # nothing left to do


def test_bookings_read_the_same_after_their_free_slots_are_purged(served, staff_member, service, client):
    kept, cancelled = served
    day = timezone.localtime(cancelled.start, service.salon.tz).date()
    before = (
        APIClient().get(f"/api/bookings/{cancelled.reference}/", HTTP_X_BOOKING_TOKEN=cancelled.manage_token).json(),
        list(cancelled.history.values_list("from_status", "to_status")),
        salon_report(salon=service.salon, first_day=day, last_day=day).by_status,
    )

    slots_purge_past(now=cancelled.end + dt.timedelta(days=3))

    after = (
        APIClient().get(f"/api/bookings/{cancelled.reference}/", HTTP_X_BOOKING_TOKEN=cancelled.manage_token).json(),
        list(cancelled.history.values_list("from_status", "to_status")),
        salon_report(salon=service.salon, first_day=day, last_day=day).by_status,
    )
    assert after == before and before[2][Booking.Status.CANCELLED] == 1
    assert before[0]["start"] and before[0]["end"]
    assert uid(kept) in events(client, staff_member)  # the feed still has what took place
    # its messages are still there
    assert Message.objects.filter(subject=booking_subject(cancelled.pk)).exists()
