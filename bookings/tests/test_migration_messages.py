"""Existing reminder rows survive the move to the one outbox."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from salonbook.tests.migrations import latest, migrate_to, targets_with

BEFORE = "0004_series_and_customer_notes"
AFTER = "0005_messages_outbox"


def _migrate(name):
    """Bookings at ``name``, every other app as far as it can be: the models
    of the other apps are then the tables as they are."""
    return migrate_to(targets_with({"bookings": name}))


@pytest.fixture
def back_to_latest():
    """Whatever the test does, later tests find every migration applied."""
    yield
    migrate_to(latest())


@pytest.mark.django_db(transaction=True)
def test_reminder_rows_become_messages_with_their_salon_recipient_and_expiry(back_to_latest):
    old = _migrate(BEFORE)
    Salon, Service, Staff = (old.get_model("salons", name) for name in ("Salon", "Service", "StaffMember"))
    Booking, Reminder = old.get_model("bookings", "Booking"), old.get_model("bookings", "Reminder")
    salon = Salon.objects.create(name="Old", slug="old-salon", whatsapp_phone="+447911123000")
    service = Service.objects.create(salon=salon, name="Cut", duration_minutes=30)
    staff = Staff.objects.create(salon=salon, name="Mo")
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    booking = Booking.objects.create(
        salon=salon, service=service, staff_member=staff, start=start, end=start + dt.timedelta(minutes=30),
        held_until=start + dt.timedelta(minutes=30), customer_name="Ana", customer_phone="+447911123456",
        reference="oldref", manage_token="t", status="confirmed",
    )
    key = uuid.uuid4()
    Reminder.objects.create(
        booking=booking, kind="24h", due_at=start - dt.timedelta(hours=24), status="sent", attempts=2,
        provider_message_id="wamid.old", sent_at=start - dt.timedelta(hours=24), idempotency_key=key,
    )
    Reminder.objects.create(booking=booking, kind="2h", due_at=start - dt.timedelta(hours=2), status="scheduled")

    new = _migrate(AFTER)
    Message = new.get_model("bookings", "Message")
    rows = {m.kind: m for m in Message.objects.filter(booking_id=booking.pk)}
    assert set(rows) == {"reminder_24h", "reminder_2h"}
    sent = rows["reminder_24h"]
    assert (sent.status, sent.attempts, sent.provider_message_id, sent.idempotency_key) == ("sent", 2, "wamid.old", key)
    assert all(m.salon_id == salon.pk and m.to == "+447911123456" and m.expires_at == start for m in rows.values())
    assert rows["reminder_2h"].status == "scheduled"

    back = _migrate(BEFORE)  # and back again, for a rollback
    assert sorted(back.get_model("bookings", "Reminder").objects.values_list("kind", flat=True)) == ["24h", "2h"]
