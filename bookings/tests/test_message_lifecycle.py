"""The messages each booking change owes, written in the change's own transaction."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from bookings.services import Actor, booking_cancel, booking_confirm, booking_reschedule
from bookings.tests.factories import make_booking, next_local
from bookings.tests.helpers import messages_of
from messaging.delivery import message_deliver
from messaging.dispatch import _claim
from messaging.models import Message
from messaging.outbox import message_row, messages_write
from messaging.providers import reset_provider
from messaging.texts import message_text

pytestmark = pytest.mark.django_db

S, K = Message.Status, Message.Kind


def kinds(booking, *statuses):
    rows = messages_of(booking).all()
    if statuses:
        rows = rows.filter(status__in=statuses)
    return sorted(rows.values_list("kind", flat=True))


def pending(booking):
    return kinds(booking, S.SCHEDULED, S.QUEUED)


@pytest.fixture
def booking(service, staff_member):
    return make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))


def test_online_booking_confirms_to_the_customer_alerts_the_salon_and_schedules_reminders(booking, salon):
    assert pending(booking) == ["booking_confirmed", "reminder_24h", "reminder_2h", "salon_new_booking"]
    alert = messages_of(booking).get(kind=K.SALON_NEW_BOOKING)
    assert alert.to == salon.whatsapp_phone
    assert messages_of(booking).get(kind=K.BOOKING_CONFIRMED).to == booking.customer_phone
    assert {m.expires_at for m in messages_of(booking).all()} == {booking.start}


def test_desk_booking_by_staff_sends_no_salon_alert(service, staff_member):
    booking = make_booking(
        service=service, staff_member=staff_member, start=next_local(service.salon, days=3), actor=Actor.staff(None)
    )
    assert pending(booking) == ["booking_confirmed", "reminder_24h", "reminder_2h"]


def test_salon_without_a_whatsapp_number_gets_no_alert(service, staff_member, salon):
    salon.whatsapp_phone = ""
    salon.save()
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=3))
    assert "salon_new_booking" not in kinds(booking)


def test_pending_booking_says_received_and_staff_confirm_replaces_it(service, staff_member, salon):
    salon.auto_confirm = False
    salon.save()
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=3))
    assert "booking_received" in pending(booking)
    booking_confirm(booking=booking, actor=Actor.staff(None))
    assert messages_of(booking).get(kind=K.BOOKING_RECEIVED).status == S.CANCELLED
    assert messages_of(booking).get(kind=K.BOOKING_CONFIRMED).status == S.SCHEDULED


def test_staff_confirm_withdraws_a_reminder_due_in_the_same_half_hour(service, staff_member, salon):
    salon.auto_confirm = False
    salon.save()
    now = timezone.now()
    start = next_local(salon, days=3)
    booking = make_booking(service=service, staff_member=staff_member, start=start, now=now)
    confirm_at = start - dt.timedelta(hours=24, minutes=10)  # ten minutes before the 24 h reminder
    booking_confirm(booking=booking, actor=Actor.staff(None), now=confirm_at)
    assert messages_of(booking).get(kind="reminder_24h").status == S.CANCELLED
    assert messages_of(booking).get(kind="reminder_2h").status == S.SCHEDULED


def test_move_supersedes_pending_messages_and_schedules_for_the_new_time(booking, service):
    old = set(messages_of(booking).filter(kind__in=["booking_confirmed", "reminder_24h", "reminder_2h"]).values_list("pk", flat=True))
    new_start = next_local(service.salon, days=5, at=dt.time(15))
    booking_reschedule(booking=booking, start=new_start, actor=Actor.customer())
    assert set(Message.objects.filter(pk__in=old).values_list("status", flat=True)) == {S.CANCELLED}
    moved = messages_of(booking).get(kind=K.BOOKING_MOVED)  # with the booking as it is now
    assert moved.status == S.SCHEDULED and moved.expires_at == new_start
    assert "previous_when" in moved.parameters
    text = message_text(moved)
    assert moved.parameters["previous_when"] in text and "15:00" in text
    assert {m.due_at for m in messages_of(booking).filter(kind__startswith="reminder_", status=S.SCHEDULED)} == {
        new_start - dt.timedelta(hours=24), new_start - dt.timedelta(hours=2)
    }


def test_a_move_that_rolls_back_leaves_the_messages_as_they_were(booking, service):
    """Same transaction: the supersede and the new rows go or stay with the move."""
    before = sorted(messages_of(booking).values_list("pk", "status"))
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            booking_reschedule(booking=booking, start=next_local(service.salon, days=5), actor=Actor.customer())
            assert messages_of(booking).filter(kind=K.BOOKING_MOVED).exists()
            raise RuntimeError("the request died before its commit")
    assert sorted(messages_of(booking).values_list("pk", "status")) == before


def test_customer_cancel_sends_a_receipt_and_alerts_the_salon_once_it_knew(booking):
    messages_of(booking).filter(kind=K.SALON_NEW_BOOKING).update(status=S.SENT)
    booking_cancel(booking=booking, actor=Actor.customer())
    assert pending(booking) == ["cancel_receipt", "salon_cancelled_booking"]
    assert set(messages_of(booking).filter(kind__in=["booking_confirmed", "reminder_24h", "reminder_2h"]).values_list(
        "status", flat=True
    )) == {S.CANCELLED}


def test_customer_cancel_before_the_salon_was_told_withdraws_the_alert_instead(booking):
    booking_cancel(booking=booking, actor=Actor.customer())
    assert messages_of(booking).get(kind=K.SALON_NEW_BOOKING).status == S.CANCELLED
    assert pending(booking) == ["cancel_receipt"]


def test_salon_cancel_tells_the_customer(booking):
    booking_cancel(booking=booking, actor=Actor.staff(None), reason="stylist ill")
    assert pending(booking) == ["booking_cancelled"]
    assert "has had to cancel" in message_text(messages_of(booking).get(kind=K.BOOKING_CANCELLED))


def test_a_cancellation_notice_is_sent_although_its_booking_is_cancelled(booking, settings):
    settings.WHATSAPP_BACKEND = "console"
    reset_provider()
    booking_cancel(booking=booking, actor=Actor.staff(None))
    notice = messages_of(booking).get(kind=K.BOOKING_CANCELLED)
    token = _claim(notice.pk, now=timezone.now())
    assert message_deliver(message_id=notice.pk, claim_token=str(token)) == "sent"


def test_a_confirmation_queued_before_the_cancel_is_not_sent(booking):
    confirmation = messages_of(booking).get(kind=K.BOOKING_CONFIRMED)
    token = _claim(confirmation.pk, now=timezone.now())
    booking_cancel(booking=booking, actor=Actor.customer())
    confirmation.refresh_from_db()
    assert confirmation.status == S.CANCELLED
    assert message_deliver(message_id=confirmation.pk, claim_token=str(token)) == "skipped"


def test_texts_are_in_the_salons_language(service, staff_member, salon):
    salon.language = "es"
    salon.save()
    start = next_local(salon, days=3)
    booking = make_booking(service=service, staff_member=staff_member, start=start)
    text = message_text(messages_of(booking).get(kind=K.BOOKING_CONFIRMED))
    assert text.startswith("Hola Ana Silva") and "está confirmada" in text
    assert f"/manage/{booking.reference}/#token=" in text
    assert start.astimezone(salon.tz).strftime("%d").lstrip("0") in text
    spanish_days = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
    assert any(day in text for day in spanish_days)
    reminder = message_text(messages_of(booking).get(kind="reminder_24h"))
    assert reminder.startswith("Hola") and "te recordamos" in reminder


def test_a_message_for_something_that_is_not_a_booking_yet(salon):
    """A waitlist offer is written by another service, in its own transaction."""
    now = timezone.now()
    with transaction.atomic():
        [offer] = messages_write(
            [
                message_row(
                    salon_id=salon.pk, subject="", kind=K.WAITLIST_OFFER, to="+447911000111", due_at=now, now=now,
                    parameters={"customer_name": "Lu", "service_name": "Cut", "when": "Friday 10:00",
                                "expires": "10:15", "claim_url": "https://example.test/claim"},
                    expires_at=now + dt.timedelta(minutes=15),
                )
            ],
            now=now,
        )
    assert offer.subject == "" and offer.status == S.SCHEDULED
    assert "https://example.test/claim" in message_text(offer)
