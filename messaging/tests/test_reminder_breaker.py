"""The circuit breaker around the provider: shared through a real Redis, tested
against a real HTTP server that fails on demand."""

import datetime as dt
import time

import pytest
import redis

from bookings.tests.factories import make_booking, next_local
from bookings.tests.helpers import caught
from messaging import signals
from messaging.breaker import OPEN, WhatsAppBreaker, get_breaker, reset_breaker
from messaging.dispatch import messages_dispatch_due
from messaging.models import Message

pytestmark = pytest.mark.django_db

S = Message.Status


@pytest.fixture
def shared_breaker(whatsapp_http, settings, redis_url):
    settings.WHATSAPP_BREAKER_REDIS_URL = redis_url
    # pybreaker stores the opening time in whole seconds, so a cool-down can end
    # up to a second early: 2 s keeps "still open" true for the rest of a batch.
    settings.WHATSAPP_BREAKER_RESET_SECONDS = 2
    reset_breaker()
    yield get_breaker()
    reset_breaker()
    redis.Redis.from_url(redis_url).flushdb()


@pytest.fixture
def reminders(service, staff_member):
    """Seven bookings three days ahead: their 24h reminders all due at ``due``."""
    for i in range(7):
        start = next_local(service.salon, days=3, at=dt.time(9 + i))
        make_booking(service=service, staff_member=staff_member, start=start)
    # The breaker is followed through the reminders; confirmations and alerts step aside.
    Message.objects.exclude(kind__startswith="reminder_").update(status=S.CANCELLED)
    return list(Message.objects.filter(kind="reminder_24h").order_by("due_at"))


def attempts(reminders):
    return sorted(Message.objects.filter(pk__in=[r.pk for r in reminders]).values_list("attempts", flat=True))


def test_breaker_opens_after_5_failures_waits_then_closes(shared_breaker, whatsapp_http, reminders, settings):
    due = reminders[-1].due_at + dt.timedelta(minutes=1)
    whatsapp_http.fail_always(500)
    with caught(signals.breaker_state_changed) as changes:
        messages_dispatch_due(now=due)

        # Five calls failed; the fifth opened the breaker; the other two waited.
        assert len(whatsapp_http.requests) == 5
        assert attempts(reminders) == [0, 0, 1, 1, 1, 1, 1]
        assert set(Message.objects.filter(kind="reminder_24h").values_list("status", flat=True)) == {S.SCHEDULED}
        assert changes == [("breaker_state_changed", {"old_state": "closed", "new_state": "open"})]
        # Another worker (its own breaker object) sees it open through Redis.
        other = WhatsAppBreaker(redis_url=settings.WHATSAPP_BREAKER_REDIS_URL, fail_max=5, reset_timeout=2)
        assert other.gate().is_open and other.state == OPEN

        # No send while it is open, however much is due.
        result = messages_dispatch_due(now=due + dt.timedelta(hours=1))
        assert result.claimed == [] and result.breaker == "open"
        assert len(whatsapp_http.requests) == 5

        # After the cool-down one trial goes out; it fails, so it opens again.
        time.sleep(2.1)
        result = messages_dispatch_due(now=due + dt.timedelta(hours=1))
        assert len(result.claimed) == 1 and len(whatsapp_http.requests) == 6
        assert other.gate().is_open

        # Provider back: after the next cool-down the trial succeeds and closes it,
        # then everything that waited goes out, each reminder once.
        whatsapp_http.ok()
        time.sleep(2.1)
        messages_dispatch_due(now=due + dt.timedelta(hours=1))
        assert get_breaker().state == "closed"
        messages_dispatch_due(now=due + dt.timedelta(hours=1))

    assert set(Message.objects.filter(kind="reminder_24h").values_list("status", flat=True)) == {S.SENT}
    assert whatsapp_http.accepted == 7
    assert {key for key in whatsapp_http.delivered} == {str(r.idempotency_key) for r in reminders}
    # Waiting for the breaker used no attempts: one per real call, at most 6 in all (5 + 1 trial failed).
    assert sum(attempts(reminders)) == len(whatsapp_http.requests) == 6 + 7
    assert [(c["old_state"], c["new_state"]) for _, c in changes] == [
        ("closed", "open"),
        ("open", "half-open"),
        ("half-open", "open"),
        ("open", "half-open"),
        ("half-open", "closed"),
    ]


def test_a_400_does_not_count_towards_the_breaker(shared_breaker, whatsapp_http, reminders):
    whatsapp_http.fail_always(400)
    messages_dispatch_due(now=reminders[-1].due_at + dt.timedelta(minutes=1))
    assert len(whatsapp_http.requests) == 7
    assert shared_breaker.state == "closed" and shared_breaker.fail_counter == 0
    assert set(Message.objects.filter(kind="reminder_24h").values_list("status", flat=True)) == {S.FAILED}


def test_breaker_is_built_lazily_and_survives_redis_being_down():
    # A dead port: building the object must not touch Redis, and using it falls back.
    breaker = WhatsAppBreaker(redis_url="redis://127.0.0.1:6399/0", fail_max=5, reset_timeout=60)
    assert breaker._breaker is None
    assert breaker.gate().state == "closed"
    assert breaker.call(lambda: "called") == "called"
    local = breaker.breaker
    assert breaker.breaker is local  # kept for a while, not rebuilt on every call
    breaker._local_until = 0.0  # as if LOCAL_FALLBACK_SECONDS had passed
    assert breaker.breaker is not local  # then the shared one is tried again
