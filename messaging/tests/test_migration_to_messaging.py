"""The outbox's tables move from the bookings app to this one without losing a
row, forwards and back: every message, reply and early status report keeps
its id and its values, and a message's booking becomes its subject key."""

import datetime as dt
import uuid

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from salonbook.tests.migrations import latest, migrate_to, targets_with

BEFORE = ("bookings", "0007_early_status_reports")
KEPT = ("id", "kind", "to", "parameters", "due_at", "expires_at", "status", "attempts", "provider_message_id",
        "idempotency_key", "salon_id", "delivery_status", "sent_at", "last_error")


def _before_the_move():
    """Bookings as it was before the move, messaging not there yet, the rest as far as they can be."""
    return targets_with({"bookings": BEFORE[1], "messaging": None})


@pytest.fixture
def back_to_latest():
    """Whatever the test does, later tests find every migration applied.
    The test also does it itself before it ends: the database is flushed
    after it, and the tables of the state before the move would refuse that."""
    yield
    migrate_to(latest())


def _rows(model, fields):
    return {row[0]: row for row in model.objects.order_by("id").values_list(*fields)}


@pytest.mark.django_db(transaction=True)
def test_every_message_reply_and_early_report_survives_the_move_and_the_way_back(back_to_latest):
    old = migrate_to(_before_the_move())
    Salon, Service, Staff = (old.get_model("salons", name) for name in ("Salon", "Service", "StaffMember"))
    Booking = old.get_model("bookings", "Booking")
    Message, Reply, Early = (old.get_model("bookings", n) for n in ("Message", "InboundReply", "EarlyStatusReport"))
    salons = [Salon.objects.create(name=f"S{n}", slug=f"s-{n}", whatsapp_phone=f"+4479111230{n}0") for n in (1, 2)]
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    bookings = []
    for n, salon in enumerate(salons):
        service = Service.objects.create(salon=salon, name="Cut", duration_minutes=30)
        staff = Staff.objects.create(salon=salon, name=f"Mo {n}")
        bookings.append(Booking.objects.create(
            salon=salon, service=service, staff_member=staff, start=start, end=start + dt.timedelta(minutes=30),
            held_until=start + dt.timedelta(minutes=30), customer_name="Ana", customer_phone=f"+44791112345{n}",
            reference=f"ref{n}", manage_token="t", status="confirmed",
        ))
    first, second = bookings

    def message(booking, salon, kind, **extra):
        return Message.objects.create(
            salon=salon, booking=booking, kind=kind, to="+447911123450", due_at=start - dt.timedelta(hours=24),
            next_attempt_at=start - dt.timedelta(hours=24), expires_at=start, **extra,
        )

    confirmed = message(first, salon=salons[0], kind="booking_confirmed", status="sent", provider_message_id="wamid.1",
                        sent_at=start - dt.timedelta(days=1), delivery_status="read", parameters={"a": "b"})
    message(first, salon=salons[0], kind="reminder_24h")
    message(second, salon=salons[1], kind="reminder_2h", status="failed", attempts=6, last_error="HTTP 500")
    message(None, salon=salons[1], kind="waitlist_offer", parameters={"claim_url": "https://example.test/c"})
    Reply.objects.create(provider_message_id="wamid.in.1", from_phone="+447911123450", text="CANCEL",
                         in_reply_to=confirmed, booking=first, outcome="cancelled", received_at=start)
    Reply.objects.create(provider_message_id="wamid.in.2", from_phone="+447911123459", text="hi", received_at=start)
    Early.objects.create(provider_message_id="wamid.9", status="delivered", reported_at=start, received_at=start)
    messages_before = _rows(Message, KEPT)
    booking_of = dict(Message.objects.values_list("id", "booking_id"))
    replies_before = _rows(Reply, ("id", "provider_message_id", "from_phone", "text", "in_reply_to_id", "outcome"))
    early_before = _rows(Early, ("id", "provider_message_id", "status", "reported_at"))

    new = migrate_to(latest())
    Message, Reply, Early = (new.get_model("messaging", n) for n in ("Message", "InboundReply", "EarlyStatusReport"))
    assert _rows(Message, KEPT) == messages_before
    subjects = dict(Message.objects.values_list("id", "subject"))
    assert subjects == {pk: (f"booking:{b}" if b else "") for pk, b in booking_of.items()}
    assert _rows(Reply, ("id", "provider_message_id", "from_phone", "text", "in_reply_to_id", "outcome")) == replies_before
    assert sorted(Reply.objects.values_list("provider_message_id", "subject", "salon_id")) == [
        ("wamid.in.1", f"booking:{first.pk}", salons[0].pk), ("wamid.in.2", "", None),
    ]
    assert _rows(Early, ("id", "provider_message_id", "status", "reported_at")) == early_before
    # The rule of one live reminder per kind now holds per subject.
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(salon_id=salons[0].pk, subject=f"booking:{first.pk}", kind="reminder_24h",
                               to="+447911123450", due_at=start, idempotency_key=uuid.uuid4())

    back = migrate_to(_before_the_move())
    Message, Reply, Early = (back.get_model("bookings", n) for n in ("Message", "InboundReply", "EarlyStatusReport"))
    assert _rows(Message, KEPT) == messages_before
    assert dict(Message.objects.values_list("id", "booking_id")) == booking_of
    assert _rows(Reply, ("id", "provider_message_id", "from_phone", "text", "in_reply_to_id", "outcome")) == replies_before
    assert dict(Reply.objects.values_list("provider_message_id", "booking_id")) == {"wamid.in.1": first.pk, "wamid.in.2": None}
    assert _rows(Early, ("id", "provider_message_id", "status", "reported_at")) == early_before
    migrate_to(latest())
