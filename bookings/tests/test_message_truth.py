"""What bookings tells the outbox at send time: a message about the
appointment's time is not sent once the booking has ended or moved from the
time it was written for, however far it had got."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings.models import Booking
from bookings.tests.factories import make_booking, next_local
from bookings.tests.helpers import messages_of
from messaging.delivery import message_deliver
from messaging.dispatch import _claim, messages_dispatch_due
from messaging.models import Message
from messaging.providers import reset_provider

pytestmark = pytest.mark.django_db

S = Message.Status


@pytest.fixture
def booking(service, staff_member, settings):
    settings.WHATSAPP_BACKEND = "console"
    reset_provider()
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))
    messages_of(booking).exclude(kind="reminder_24h").update(status=S.SENT)
    return booking


def test_a_due_reminder_of_a_booking_that_ended_is_cancelled_by_the_dispatcher_not_sent(booking, eager_tasks):
    # No-show and completed are set by staff after the start; here the status
    # is written directly so the reminder is due while the booking is over.
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.NO_SHOW)
    reminder = messages_of(booking).get(kind="reminder_24h")
    now = reminder.due_at + dt.timedelta(minutes=1)
    result = messages_dispatch_due(now=now)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.last_error, reminder.sent_at) == (S.CANCELLED, "booking no longer active", None)
    assert result.cancelled == 1 and result.claimed == []


def test_a_reminder_claimed_before_its_booking_moved_is_not_sent_for_the_old_time(booking):
    reminder = messages_of(booking).get(kind="reminder_24h")
    token = _claim(reminder.pk, now=reminder.due_at)
    # The move lands while the reminder is in a worker's hands (the move's own
    # withdrawal of it lost the race).
    later = dt.timedelta(days=1)
    Booking.objects.filter(pk=booking.pk).update(
        start=booking.start + later, end=booking.end + later, held_until=booking.held_until + later
    )
    assert message_deliver(message_id=reminder.pk, claim_token=str(token), now=reminder.due_at) == "cancelled"
    reminder.refresh_from_db()
    assert reminder.status == S.CANCELLED and "moved" in reminder.last_error


def test_a_confirmation_of_a_booking_still_at_its_time_goes_out(booking):
    messages_of(booking).filter(kind="booking_confirmed").update(status=S.SCHEDULED)
    confirmation = messages_of(booking).get(kind="booking_confirmed")
    token = _claim(confirmation.pk, now=timezone.now())
    assert message_deliver(message_id=confirmation.pk, claim_token=str(token)) == "sent"
