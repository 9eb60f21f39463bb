"""The WhatsApp Cloud API webhook: the handshake, signatures, statuses in any
order, replies that cancel, and bodies that are bad or too big."""

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from bookings.messages.about import booking_subject
from bookings.models import Booking
from bookings.tests.factories import make_booking, next_local
from bookings.tests.helpers import messages_of
from messaging.dispatch import messages_dispatch_due
from messaging.models import EarlyStatusReport, InboundReply, Message

pytestmark = pytest.mark.django_db

SECRET = "app-secret-for-tests"
URL = "/api/webhooks/whatsapp/"
S, D, K = Message.Status, Message.Delivery, Message.Kind


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.WHATSAPP_APP_SECRET = SECRET
    settings.WHATSAPP_VERIFY_TOKEN = "verify-me"


@pytest.fixture
def api():
    return APIClient(enforce_csrf_checks=True)  # a CSRF check would refuse Meta: there must be none


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(api, payload, *, signature=None, raw=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {} if signature is False else {"HTTP_X_HUB_SIGNATURE_256": signature or sign(body)}
    return api.post(URL, data=body, content_type="application/json", **headers)


def envelope(value):
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "447911123000", "phone_number_id": "9"},
        **value,
    }}]}]}


def status(provider_id, name, at, errors=None):
    row = {"id": provider_id, "status": name, "timestamp": str(int(at.timestamp())), "recipient_id": "447911123456"}
    if errors:
        row["errors"] = errors
    return envelope({"statuses": [row]})


def reply(text, *, provider_id="wamid.in.1", context=None, sender="447911123456", button=None):
    message = {"from": sender, "id": provider_id, "timestamp": str(int(timezone.now().timestamp()))}
    if button:
        message |= {"type": "button", "button": {"payload": button, "text": "Cancel"}}
    else:
        message |= {"type": "text", "text": {"body": text}}
    if context:
        message["context"] = {"from": "447911123000", "id": context}
    return envelope({"contacts": [{"wa_id": sender, "profile": {"name": "Ana"}}], "messages": [message]})


@pytest.fixture
def booking(service, staff_member):
    return make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))


@pytest.fixture
def sent(booking):
    """The booking's confirmation, accepted by the provider as wamid.out.1."""
    message = messages_of(booking).get(kind=K.BOOKING_CONFIRMED)
    Message.objects.filter(pk=message.pk).update(status=S.SENT, provider_message_id="wamid.out.1", sent_at=timezone.now())
    message.refresh_from_db()
    return message


# --- The handshake ------------------------------------------------------------------


def test_verification_echoes_the_challenge_as_plain_text(api):
    response = api.get(URL, {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain") and response.content == b"1158201444"


@pytest.mark.parametrize("params", [
    {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
    {"hub.mode": "unsubscribe", "hub.verify_token": "verify-me", "hub.challenge": "1"},
    {"hub.challenge": "1"},
])
def test_verification_with_a_wrong_token_or_mode_is_403(api, params):
    response = api.get(URL, params)
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


def test_verification_without_a_configured_token_is_403(api, settings):
    settings.WHATSAPP_VERIFY_TOKEN = None
    assert api.get(URL, {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}).status_code == 403


# --- Signatures -----------------------------------------------------------------------


def test_signed_status_is_recorded(api, sent):
    at = timezone.now().replace(microsecond=0)
    response = post(api, status("wamid.out.1", "delivered", at))
    assert response.status_code == 200 and response.json() == {"statuses_recorded": 1, "replies_received": 0}
    sent.refresh_from_db()
    assert sent.delivery_status == D.DELIVERED and sent.delivered_at == at


@pytest.mark.parametrize("signature", [False, "sha256=" + "0" * 64, "sha1=abc", sign(b"another body")])
def test_unsigned_or_wrongly_signed_body_is_403_and_changes_nothing(api, sent, signature):
    body = json.dumps(status("wamid.out.1", "read", timezone.now())).encode()
    response = post(api, None, raw=body, signature=signature)
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    sent.refresh_from_db()
    assert sent.delivery_status == D.NONE and sent.read_at is None


def test_body_signed_with_the_wrong_secret_is_403(api, sent):
    body = json.dumps(status("wamid.out.1", "read", timezone.now())).encode()
    assert post(api, None, raw=body, signature=sign(body, secret="not-the-secret")).status_code == 403
    sent.refresh_from_db()
    assert sent.delivery_status == D.NONE


def test_without_an_app_secret_every_post_is_refused(api, settings, sent):
    body = json.dumps(status("wamid.out.1", "read", timezone.now())).encode()
    settings.WHATSAPP_APP_SECRET = None
    assert post(api, None, raw=body, signature=sign(body)).status_code == 403


# --- Statuses: idempotent, in any order -------------------------------------------------


def test_a_late_sent_never_overwrites_read_and_replays_change_nothing(api, sent):
    t0 = timezone.now().replace(microsecond=0)
    read, delivered, late_sent = (status("wamid.out.1", name, t0 + dt.timedelta(seconds=s))
                                  for name, s in (("read", 20), ("delivered", 10), ("sent", 5)))
    for payload in (read, delivered, late_sent, read, late_sent):
        assert post(api, payload).status_code == 200
    sent.refresh_from_db()
    assert sent.delivery_status == D.READ
    assert sent.read_at == t0 + dt.timedelta(seconds=20)
    # Read came first and implied delivery; the late "delivered" keeps the earlier time it gave.
    assert sent.delivered_at == t0 + dt.timedelta(seconds=20)
    assert sent.status == S.SENT


def test_statuses_in_order_record_each_time(api, sent):
    t0 = timezone.now().replace(microsecond=0)
    for name, seconds in (("sent", 0), ("delivered", 10), ("read", 20)):
        post(api, status("wamid.out.1", name, t0 + dt.timedelta(seconds=seconds)))
    sent.refresh_from_db()
    assert (sent.delivery_status, sent.delivered_at, sent.read_at) == (
        D.READ, t0 + dt.timedelta(seconds=10), t0 + dt.timedelta(seconds=20)
    )


def test_failed_keeps_the_providers_error_and_marks_the_agenda(api, sent, client, staff_of_salon, booking):
    errors = [{"code": 131026, "title": "Message undeliverable"}]
    post(api, status("wamid.out.1", "failed", timezone.now(), errors))
    post(api, status("wamid.out.1", "delivered", timezone.now()))  # a late, contradictory report
    sent.refresh_from_db()
    assert sent.delivery_status == D.FAILED
    assert sent.last_error == "provider: 131026 Message undeliverable"
    client.force_login(staff_of_salon)
    day = booking.start.astimezone(booking.salon.tz).date().isoformat()
    page = client.get(reverse("staff:agenda", kwargs={"slug": booking.salon.slug}) + f"?date={day}")
    assert "message failed" in page.content.decode()


def test_status_of_an_unknown_message_is_accepted_and_ignored(api, sent):
    response = post(api, status("wamid.someone-else", "read", timezone.now()))
    assert response.status_code == 200 and response.json()["statuses_recorded"] == 0


def test_a_status_that_comes_before_the_sender_stored_the_id_is_recorded_when_it_does(api, booking, whatsapp_http):
    confirmation = messages_of(booking).get(kind=K.BOOKING_CONFIRMED)
    messages_of(booking).exclude(pk=confirmation.pk).update(status=S.CANCELLED)
    delivered_at = timezone.now().replace(microsecond=0)
    # The provider reports faster than the sender records its answer: the id
    # it is about ("wamid.1", the fake provider's first) is on no message yet.
    response = post(api, status("wamid.1", "delivered", delivered_at))
    assert response.json()["statuses_recorded"] == 0
    assert EarlyStatusReport.objects.filter(provider_message_id="wamid.1").exists()

    messages_dispatch_due(now=timezone.now())

    confirmation.refresh_from_db()
    assert (confirmation.provider_message_id, confirmation.delivery_status) == ("wamid.1", D.DELIVERED)
    assert confirmation.delivered_at == delivered_at
    assert not EarlyStatusReport.objects.exists()


def test_early_reports_about_ids_that_never_become_ours_are_forgotten_after_a_day(api, sent):
    post(api, status("wamid.someone-else", "read", timezone.now()))
    EarlyStatusReport.objects.update(received_at=timezone.now() - dt.timedelta(days=1, minutes=1))
    post(api, status("wamid.another", "sent", timezone.now()))
    assert list(EarlyStatusReport.objects.values_list("provider_message_id", flat=True)) == ["wamid.another"]


# --- Replies ---------------------------------------------------------------------------


def test_cancel_reply_within_the_cutoff_cancels_the_booking_it_answers(api, sent, booking):
    response = post(api, reply("cancel ", context="wamid.out.1"))
    assert response.status_code == 200 and response.json()["replies_received"] == 1
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    last = booking.history.last()
    assert last.actor == "customer" and "WhatsApp" in last.note
    row = InboundReply.objects.get()
    assert (row.subject, row.salon_id, row.in_reply_to, row.outcome) == (
        booking_subject(booking.pk), booking.salon_id, sent, InboundReply.Outcome.CANCELLED
    )
    assert messages_of(booking).filter(kind=K.CANCEL_RECEIPT, status=S.SCHEDULED).exists()


def test_the_cancel_button_without_context_cancels_the_next_booking(api, booking):
    post(api, reply("", button="CANCEL"))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


def test_cancel_reply_past_the_cutoff_is_refused_and_told_through_the_outbox(api, service, staff_member):
    soon = timezone.now() + dt.timedelta(hours=5)
    slot = staff_member.slots.filter(start__gt=soon, status="available").earliest("start")
    booking = make_booking(service=service, staff_member=staff_member, start=slot.start)
    post(api, reply("CANCEL"))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    refusal = messages_of(booking).get(kind=K.CANCEL_REFUSED)
    assert refusal.status == S.SCHEDULED and refusal.to == booking.customer_phone
    assert InboundReply.objects.get().outcome == InboundReply.Outcome.REFUSED


def test_a_replayed_cancel_reply_acts_once(api, booking):
    soon = timezone.now() + dt.timedelta(hours=5)
    slot = booking.staff_member.slots.filter(start__gt=soon, status="available").earliest("start")
    near = make_booking(service=booking.service, staff_member=booking.staff_member, start=slot.start)
    payload = reply("CANCEL", provider_id="wamid.in.7")
    first, second = post(api, payload), post(api, payload)
    assert first.json()["replies_received"] == 1 and second.json()["replies_received"] == 0
    assert InboundReply.objects.count() == 1
    assert messages_of(near).filter(kind=K.CANCEL_REFUSED).count() == 1


def test_someone_elses_cancel_cannot_cancel_the_booking(api, sent, booking):
    post(api, reply("CANCEL", context="wamid.out.1", sender="447900000999"))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_other_replies_are_kept_and_shown_to_staff(api, sent, booking, client, staff_of_salon):
    post(api, reply("Can I come 10 minutes late?", context="wamid.out.1"))
    row = InboundReply.objects.get()
    assert row.subject == booking_subject(booking.pk) and row.outcome == InboundReply.Outcome.STORED
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    client.force_login(staff_of_salon)
    page = client.get(reverse("staff:booking", args=[booking.reference])).content.decode()
    assert "Can I come 10 minutes late?" in page
    detail = client.get(f"/api/bookings/{booking.reference}/").json()
    assert detail["replies"][0]["text"] == "Can I come 10 minutes late?"
    kinds = {m["kind"]: m for m in detail["messages"]}
    assert kinds["booking_confirmed"]["status"] == "sent" and kinds["salon_new_booking"]["to_salon"] is True
    assert set(kinds["booking_confirmed"]) >= {"due_at", "sent_at", "delivered_at", "read_at", "attempts", "last_error"}


# --- Bad bodies ------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff\xfe", b"[1, 2]"])
def test_bad_json_is_400_in_the_envelope(api, raw):
    response = post(api, None, raw=raw)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid" and "body" in response.json()["error"]["details"]


def test_an_oversized_body_is_413_before_anything_is_read(api, settings):
    settings.WHATSAPP_WEBHOOK_MAX_BYTES = 2048
    body = json.dumps(envelope({"messages": [], "padding": "x" * 4000})).encode()
    response = post(api, None, raw=body)
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"


def test_the_webhook_is_rate_limited(api, settings):
    settings.RATE_LIMIT_WEBHOOKS = "2/m"
    settings.RATELIMIT_ENABLE = True
    codes = [post(api, envelope({})).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
