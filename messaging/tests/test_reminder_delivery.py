"""Sending reminders through the HTTP provider, against a real HTTP server that fails on demand."""

import datetime as dt
import random

import pytest
from django.utils import timezone

from bookings.tests.factories import make_booking, next_local
from bookings.tests.helpers import caught, messages_of
from messaging import dispatch, signals
from messaging.delivery import message_deliver, retry_delay
from messaging.dispatch import messages_dispatch_due
from messaging.models import Message
from messaging.outbox import message_retry_now
from messaging.providers import OutgoingMessage, get_provider, reset_provider

pytestmark = pytest.mark.django_db

S = Message.Status


@pytest.fixture
def booking(service, staff_member):
    booking = make_booking(
        service=service, staff_member=staff_member, start=next_local(service.salon, days=3), name="Zoë Ñúñez"
    )
    # These tests follow the reminders through the machinery; the booking's
    # confirmation and the salon's alert are taken out of their way.
    messages_of(booking).exclude(kind__startswith="reminder_").update(status=S.CANCELLED)
    return booking


@pytest.fixture
def reminder(booking):
    return messages_of(booking).get(kind="reminder_24h")


def dispatch_at(reminder):
    """Time has come for ``reminder``: run the dispatcher as beat would."""
    reminder.refresh_from_db()
    return messages_dispatch_due(now=reminder.next_attempt_at)


def test_due_reminder_is_posted_in_cloud_api_shape_and_marked_sent(whatsapp_http, reminder, booking):
    with caught(signals.message_sent) as seen:
        result = dispatch_at(reminder)
    assert result.claimed == [reminder.pk]
    reminder.refresh_from_db()
    assert reminder.status == S.SENT and reminder.attempts == 1
    assert reminder.provider_message_id == "wamid.1"
    [request] = whatsapp_http.requests
    assert request["path"] == "/v21.0/1234567890/messages"
    assert request["auth"] == "Bearer test-token"
    assert request["key"] == str(reminder.idempotency_key)
    assert request["body"]["messaging_product"] == "whatsapp" and request["body"]["type"] == "text"
    assert request["to"] == "447911123456"
    assert "Zoë Ñúñez" in request["text"] and booking.salon.name in request["text"]
    assert seen == [("message_sent", {"message_id": reminder.pk, "kind": "reminder_24h"})]
    # Nothing more to do at that time.
    assert dispatch_at(reminder).claimed == []


def test_with_a_template_set_the_message_goes_as_that_template(whatsapp_http, settings, reminder, booking):
    settings.WHATSAPP_TEMPLATE = "appointment_reminder"
    reset_provider()
    dispatch_at(reminder)
    [request] = whatsapp_http.requests
    template = request["body"]["template"]
    assert request["body"]["type"] == "template" and template["name"] == "appointment_reminder"
    assert template["language"] == {"code": "en_GB"}
    values = [p["text"] for p in template["components"][0]["parameters"]]
    assert values[:3] == ["Zoë Ñúñez", "Cut", booking.salon.name]
    assert values[4].endswith(f"/manage/{booking.reference}/#token={booking.manage_token}")


def test_400_fails_at_once_without_retrying(whatsapp_http, reminder):
    whatsapp_http.fail_always(400)
    with caught(signals.message_failed, signals.message_retried) as seen:
        dispatch_at(reminder)
    reminder.refresh_from_db()
    assert reminder.status == S.FAILED and reminder.attempts == 1
    assert reminder.last_error == "HTTP 400 (131026 OAuthException)"  # no number, no message text
    assert seen == [("message_failed", {"message_id": reminder.pk, "kind": "reminder_24h", "error": reminder.last_error})]
    assert dispatch_at(reminder).claimed == []
    assert len(whatsapp_http.requests) == 1


def test_5xx_retries_with_growing_backoff_then_fails(whatsapp_http, settings, reminder):
    settings.WHATSAPP_BREAKER_FAIL_MAX = 100  # the breaker has its own test
    settings.REMINDER_MAX_ATTEMPTS = 4
    whatsapp_http.fail_always(500)
    delays = []
    with caught(signals.message_retried, signals.message_failed) as seen:
        for attempt in range(1, 5):
            before = timezone.now()
            assert dispatch_at(reminder).claimed == [reminder.pk]
            reminder.refresh_from_db()
            assert reminder.attempts == attempt
            if attempt < 4:
                assert reminder.status == S.SCHEDULED
                delays.append((reminder.next_attempt_at - before).total_seconds())
    assert reminder.status == S.FAILED and reminder.last_error == "HTTP 500 (2 OAuthException)"
    assert len(whatsapp_http.requests) == 4
    assert [name for name, _ in seen] == ["message_retried"] * 3 + ["message_failed"]
    # base 60 s, doubling, half of it jittered: [30, 60], [60, 120], [120, 240].
    for delay, ceiling in zip(delays, (60, 120, 240)):
        assert ceiling / 2 <= delay <= ceiling + 2


def test_429_waits_at_least_retry_after(whatsapp_http, reminder):
    whatsapp_http.retry_after = "900"
    whatsapp_http.fail_next(429)
    before = timezone.now()
    dispatch_at(reminder)
    reminder.refresh_from_db()
    assert reminder.status == S.SCHEDULED and reminder.attempts == 1
    assert reminder.last_error == "HTTP 429 (2 OAuthException)"
    assert reminder.next_attempt_at >= before + dt.timedelta(seconds=900)
    dispatch_at(reminder)
    reminder.refresh_from_db()
    assert reminder.status == S.SENT and reminder.attempts == 2


def test_refused_connection_is_retried(whatsapp_http, reminder):
    whatsapp_http.stop()
    dispatch_at(reminder)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.last_error) == (S.SCHEDULED, 1, "connection refused")
    whatsapp_http.restart()
    dispatch_at(reminder)
    reminder.refresh_from_db()
    assert reminder.status == S.SENT and whatsapp_http.accepted == 1


def test_timeout_is_retried(whatsapp_http, reminder):
    whatsapp_http.timeout_next()
    dispatch_at(reminder)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.last_error) == (S.SCHEDULED, "read timeout")
    dispatch_at(reminder)
    reminder.refresh_from_db()
    assert reminder.status == S.SENT and reminder.attempts == 2


def test_timeout_after_the_provider_accepted_does_not_deliver_twice(whatsapp_http, reminder):
    whatsapp_http.delay = 1.0  # accepts, then answers after the client's 0.5 s read timeout
    dispatch_at(reminder)
    reminder.refresh_from_db()
    assert reminder.last_error == "read timeout" and whatsapp_http.accepted == 1
    whatsapp_http.delay = 0
    dispatch_at(reminder)
    reminder.refresh_from_db()
    assert reminder.status == S.SENT
    # Two requests, one message: the idempotency key did it.
    assert whatsapp_http.deliveries_per_key() == {str(reminder.idempotency_key): 2}
    assert whatsapp_http.accepted == 1


def test_without_provider_idempotency_a_read_timeout_is_failed_not_resent(whatsapp_http, settings, reminder):
    settings.WHATSAPP_IDEMPOTENT = False
    whatsapp_http.delay = 1.0  # it did arrive, but the answer comes too late
    dispatch_at(reminder)
    reminder.refresh_from_db()
    assert reminder.status == S.FAILED
    assert reminder.last_error == "outcome unknown: read timeout; not sent again to avoid a duplicate"
    assert dispatch_at(reminder).claimed == [] and len(whatsapp_http.requests) == 1


def test_without_provider_idempotency_a_refused_connection_is_still_retried(whatsapp_http, settings, reminder):
    settings.WHATSAPP_IDEMPOTENT = False
    whatsapp_http.stop()  # nothing can have arrived
    dispatch_at(reminder)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.last_error) == (S.SCHEDULED, "connection refused")


def test_duplicated_task_sends_once(whatsapp_http, reminder):
    reminder.refresh_from_db()
    token = dispatch._claim(reminder.pk, now=reminder.next_attempt_at)
    assert message_deliver(message_id=reminder.pk, claim_token=str(token)) == "sent"
    assert message_deliver(message_id=reminder.pk, claim_token=str(token)) == "skipped"
    assert message_deliver(message_id=reminder.pk, claim_token="not-a-token") == "skipped"
    assert len(whatsapp_http.requests) == 1


def test_stale_task_from_an_earlier_claim_does_nothing(whatsapp_http, settings, reminder):
    reminder.refresh_from_db()
    old = dispatch._claim(reminder.pk, now=reminder.next_attempt_at)
    later = reminder.next_attempt_at + dt.timedelta(seconds=settings.REMINDER_QUEUE_LEASE_SECONDS + 1)
    messages_dispatch_due(now=later)  # its message was lost: reclaimed, sent under a new claim
    reminder.refresh_from_db()
    assert reminder.status == S.SENT
    assert message_deliver(message_id=reminder.pk, claim_token=str(old)) == "skipped"
    assert len(whatsapp_http.requests) == 1


def test_task_of_an_earlier_claim_cannot_take_the_row_claimed_again(whatsapp_http, settings, reminder):
    reminder.refresh_from_db()
    old = dispatch._claim(reminder.pk, now=reminder.next_attempt_at)
    # Its broker message was lost: after the queue lease the dispatcher gives
    # the row back and claims it again, and then the old message turns up.
    later = reminder.next_attempt_at + dt.timedelta(seconds=settings.REMINDER_QUEUE_LEASE_SECONDS + 1)
    Message.objects.filter(pk=reminder.pk).update(claimed_at=reminder.next_attempt_at)
    dispatch._recover_stale(later, dispatch.DispatchResult())
    new = dispatch._claim(reminder.pk, now=later)
    assert new is not None and new != old
    assert message_deliver(message_id=reminder.pk, claim_token=str(old)) == "skipped"
    reminder.refresh_from_db()
    assert (reminder.status, reminder.claim_token) == (S.QUEUED, new)
    assert message_deliver(message_id=reminder.pk, claim_token=str(new)) == "sent"
    assert len(whatsapp_http.requests) == 1


def _killed_after_send(reminder):
    """What a worker leaves when it is killed after the provider accepted, before the mark."""
    reminder.refresh_from_db()
    token = dispatch._claim(reminder.pk, now=reminder.next_attempt_at)
    Message.objects.filter(pk=reminder.pk, claim_token=token).update(status=S.SENDING)
    get_provider().send(OutgoingMessage(to="+447911123456", text="x", idempotency_key=str(reminder.idempotency_key)))
    reminder.refresh_from_db()
    return reminder.claimed_at


def test_worker_killed_mid_send_sends_again_under_the_same_key(whatsapp_http, settings, reminder):
    claimed_at = _killed_after_send(reminder)
    # Within its lease the row belongs to the (maybe still living) worker.
    assert messages_dispatch_due(now=claimed_at + dt.timedelta(seconds=5)).claimed == []
    after_lease = claimed_at + dt.timedelta(seconds=settings.REMINDER_SEND_LEASE_SECONDS + 1)
    result = messages_dispatch_due(now=after_lease)
    assert result.recovered == 1 and result.claimed == [reminder.pk]
    reminder.refresh_from_db()
    assert reminder.status == S.SENT and reminder.provider_message_id == "wamid.1"
    assert whatsapp_http.accepted == 1 and len(whatsapp_http.requests) == 2


def test_without_provider_idempotency_an_unknown_outcome_is_failed_not_resent(whatsapp_http, settings, reminder):
    settings.WHATSAPP_IDEMPOTENT = False
    claimed_at = _killed_after_send(reminder)
    with caught(signals.message_failed) as seen:
        messages_dispatch_due(now=claimed_at + dt.timedelta(seconds=settings.REMINDER_SEND_LEASE_SECONDS + 1))
    reminder.refresh_from_db()
    assert reminder.status == S.FAILED and reminder.last_error.startswith("outcome unknown")
    assert len(seen) == 1 and len(whatsapp_http.requests) == 1


def test_reminder_of_a_cancelled_booking_is_not_sent_even_if_already_queued(whatsapp_http, reminder, booking):
    from bookings.models import Booking

    reminder.refresh_from_db()
    token = dispatch._claim(reminder.pk, now=reminder.next_attempt_at)
    # The cancel receiver failed (or lost the race): the task re-checks the booking.
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)
    assert message_deliver(message_id=reminder.pk, claim_token=str(token)) == "cancelled"
    assert whatsapp_http.requests == []


def test_catch_up_sends_only_the_latest_of_a_bookings_due_reminders(whatsapp_http, booking):
    result = messages_dispatch_due(now=booking.start - dt.timedelta(hours=1))
    statuses = dict(messages_of(booking).filter(kind__startswith="reminder_").values_list("kind", "status"))
    assert statuses == {"reminder_24h": S.EXPIRED, "reminder_2h": S.SENT}
    assert result.superseded == 1 and whatsapp_http.accepted == 1


def test_retry_now_sends_a_failed_reminder_again(whatsapp_http, reminder, django_capture_on_commit_callbacks):
    whatsapp_http.fail_next(400)
    dispatch_at(reminder)
    reminder.refresh_from_db()
    assert reminder.status == S.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        assert message_retry_now(message=reminder, now=reminder.due_at + dt.timedelta(minutes=5))
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.last_error) == (S.SENT, 1, "")
    assert whatsapp_http.accepted == 1


def test_retry_now_is_refused_once_the_appointment_started(whatsapp_http, reminder, booking):
    whatsapp_http.fail_next(400)
    dispatch_at(reminder)
    assert not message_retry_now(message=reminder, now=booking.start + dt.timedelta(minutes=1))
    reminder.refresh_from_db()
    assert reminder.status == S.FAILED


def test_retry_delay_doubles_with_jitter_up_to_the_cap(settings):
    settings.REMINDER_RETRY_BASE_SECONDS = 10
    settings.REMINDER_RETRY_MAX_SECONDS = 100
    rng = random.Random(5)
    for attempts, ceiling in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (9, 100)]:
        samples = [retry_delay(attempts, rng=rng) for _ in range(200)]
        assert ceiling / 2 <= min(samples) and max(samples) <= ceiling
        assert max(samples) - min(samples) > ceiling / 4  # jittered, not fixed
    assert retry_delay(1, retry_after=70, rng=rng) == 70


def test_each_kind_goes_as_its_own_template_in_the_salons_language(whatsapp_http, settings, booking, service):
    from bookings.services import Actor, booking_reschedule

    settings.WHATSAPP_TEMPLATES = {"booking_moved": "booking_moved_v1"}
    booking.salon.language = "es"
    booking.salon.save()
    new_start = next_local(service.salon, days=4, at=dt.time(15))
    booking_reschedule(booking=booking, start=new_start, actor=Actor.customer())
    moved = messages_of(booking).get(kind="booking_moved")
    token = dispatch._claim(moved.pk, now=timezone.now())
    assert message_deliver(message_id=moved.pk, claim_token=str(token)) == "sent"
    [request] = whatsapp_http.requests
    template = request["body"]["template"]
    assert template["name"] == "booking_moved_v1" and template["language"] == {"code": "es"}
    values = [p["text"] for p in template["components"][0]["parameters"]]
    assert values[:3] == ["Zoë Ñúñez", "Cut", booking.salon.name]
    assert values[3] == moved.parameters["previous_when"] and "15:00" in values[4]
    assert values[5].endswith(f"/manage/{booking.reference}/#token={booking.manage_token}")
