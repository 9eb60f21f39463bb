"""Metrics move by exactly the requests and events made, whatever the store."""

from __future__ import annotations

import datetime as dt

import pytest
from django.dispatch import Signal

from bookings import signals as booking_signals
from bookings.services import Actor, booking_cancel
from bookings.tests.factories import make_booking, next_local
from monitoring.metrics.snapshot import snapshot
from salonbook import events
from waitlist import signals as waitlist_signals

pytestmark = pytest.mark.urls("monitoring.tests.urls")


@pytest.fixture(params=["local", "redis"])
def store(request, settings):
    """Every counting test runs on the in-process store and on Redis."""
    if request.param == "redis":
        return request.getfixturevalue("redis_metrics")
    settings.METRICS_REDIS_URL = None
    return None


def route_count(snap: dict, key: str, status: str) -> int:
    return snap["requests"]["by_route"].get(key, {}).get("by_status", {}).get(status, 0)


@pytest.mark.django_db
def test_requests_are_counted_by_route_pattern_not_path(client, store):
    before = snapshot()

    client.get("/items/1/")
    client.get("/items/2/")
    client.get("/items/3/")
    client.get("/legacy/AB12/")
    client.get("/no/such/page/")

    after = snapshot()
    assert route_count(after, "GET /items/<int:pk>/", "200") - route_count(before, "GET /items/<int:pk>/", "200") == 3
    assert route_count(after, "GET /legacy/<ref>/", "200") - route_count(before, "GET /legacy/<ref>/", "200") == 1
    assert route_count(after, "GET <unmatched>", "404") - route_count(before, "GET <unmatched>", "404") == 1
    assert not any("/items/1/" in key or "AB12" in key for key in after["requests"]["by_route"])
    assert after["requests"]["total"] - before["requests"]["total"] == 5
    latency = after["latency"]["GET /items/<int:pk>/"]
    assert latency["count"] - before["latency"].get("GET /items/<int:pk>/", {"count": 0})["count"] == 3
    assert latency["buckets"]["+Inf"] == latency["count"]
    assert latency["p50_ms"] is not None and latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"]


@pytest.mark.django_db
def test_server_errors_are_counted_as_5xx(client, store):
    client.raise_request_exception = False
    before = snapshot()

    client.get("/boom/")

    after = snapshot()
    assert route_count(after, "GET /boom/", "500") - route_count(before, "GET /boom/", "500") == 1
    assert after["requests"]["errors_5xx"] - before["requests"]["errors_5xx"] == 1


@pytest.mark.django_db(transaction=True)
def test_booking_events_cancellations_and_no_shows_are_counted(store, service, staff_member):
    service.salon.auto_confirm = False
    service.salon.save(update_fields=["auto_confirm"])
    before = snapshot()["bookings"]

    booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))
    make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3, at=dt.time(11)))
    booking_cancel(booking=booking, actor=Actor.customer())
    booking_signals.booking_no_show.send(sender=None, booking=booking, actor="staff")

    after = snapshot()["bookings"]
    assert after["by_event"]["created"] - before["by_event"]["created"] == 2
    assert after["by_event"]["cancelled"] - before["by_event"]["cancelled"] == 1
    assert after["cancellations"] - before["cancellations"] == 1
    assert after["no_shows"] - before["no_shows"] == 1
    assert after["by_event"]["confirmed"] == before["by_event"]["confirmed"]


def test_platform_events_are_counted(store):
    before = snapshot()

    events.send_now(events.cache_accessed, sender=None, kind="availability", hit=True)
    events.send_now(events.cache_accessed, sender=None, kind="availability", hit=False)
    events.send_now(events.cache_accessed, sender=None, kind="business_info", hit=True)
    events.send_now(events.rate_limited, sender=None, scope="bookings")
    events.send_now(events.rate_limit_failed_open, sender=None, scope="api")
    for signal in (booking_signals.message_sent, booking_signals.message_sent, booking_signals.message_retried):
        events.send_now(signal, sender=None, message_id=1, kind="reminder_24h", error="timeout")
    events.send_now(booking_signals.message_failed, sender=None, message_id=2, error="timeout")
    events.send_now(booking_signals.message_expired, sender=None, message_id=3)
    events.send_now(booking_signals.breaker_state_changed, sender=None, old_state="closed", new_state="open")

    after = snapshot()
    assert after["cache"]["hits"] - before["cache"]["hits"] == 2
    assert after["cache"]["misses"] - before["cache"]["misses"] == 1
    assert after["cache"]["by_kind"]["availability"]["misses"] - before["cache"]["by_kind"].get(
        "availability", {"misses": 0}
    )["misses"] == 1
    assert after["rate_limited"]["by_scope"]["bookings"] - before["rate_limited"]["by_scope"].get("bookings", 0) == 1
    assert after["rate_limited"]["failed_open"] - before["rate_limited"]["failed_open"] == 1
    totals = {name: after["messages"]["totals"][name] - before["messages"]["totals"][name] for name in ("sent", "retried", "failed", "expired")}
    assert totals == {"sent": 2, "retried": 1, "failed": 1, "expired": 1}
    assert after["messages"]["by_kind"]["reminder_24h"]["sent"] - before["messages"]["by_kind"].get("reminder_24h", {}).get("sent", 0) == 2
    assert after["breaker"]["state"] == "open"
    assert after["breaker"]["transitions"]["open"] - before["breaker"]["transitions"].get("open", 0) == 1


def test_a_failing_receiver_is_counted_by_signal(store):
    signal = events.NamedSignal("salon_updated")

    def broken(**kwargs):
        raise RuntimeError("receiver bug")

    signal.connect(broken, weak=False)
    before = snapshot()["receiver_failures"]

    events.send_now(signal, sender=None, salon_id=1)

    after = snapshot()["receiver_failures"]
    assert after["total"] - before["total"] == 1
    assert after["by_signal"]["salon_updated"] - before["by_signal"].get("salon_updated", 0) == 1


def test_an_unnamed_signal_failure_is_still_counted(store):
    signal = Signal()
    signal.connect(lambda **kwargs: 1 / 0, weak=False)
    before = snapshot()["receiver_failures"]["total"]

    events.send_now(signal, sender=None)

    assert snapshot()["receiver_failures"]["total"] - before == 1


@pytest.mark.django_db
def test_snapshot_has_the_documented_keys(client):
    client.get("/items/1/")

    snap = snapshot()

    assert set(snap) == {
        "store", "generated_at", "requests", "latency", "bookings", "cache",
        "rate_limited", "messages", "breaker", "receiver_failures", "waitlist",
    }
    assert set(snap["requests"]) == {"total", "errors_5xx", "per_second", "by_route"}
    assert set(snap["latency"]["GET /items/<int:pk>/"]) == {
        "count", "sum_seconds", "p50_ms", "p95_ms", "p99_ms", "buckets",
    }
    assert set(snap["messages"]) == {"totals", "by_kind", "delivery_rate", "read_rate"}
    assert set(snap["messages"]["totals"]) == {"sent", "retried", "failed", "expired", "delivered", "read", "undelivered"}


def test_waitlist_events_are_counted_and_give_the_fill_rate():
    from salonbook.events import send_now

    for signal in (waitlist_signals.waitlist_offered, waitlist_signals.waitlist_offered, waitlist_signals.waitlist_claimed):
        send_now(signal, sender=None, entry_id=1, salon_id=1, offer_id=1)
    waitlist = snapshot()["waitlist"]
    assert waitlist["by_event"]["offered"] == 2 and waitlist["by_event"]["claimed"] == 1
    assert waitlist["fill_rate"] == 0.5
