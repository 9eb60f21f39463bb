"""Counting the domain's and the platform's events. Connected in ``MonitoringConfig.ready``.

Receivers only count: they never decide anything, and the events module
isolates their failures from the request that sent the event.
"""

from __future__ import annotations

from typing import Any

from bookings import signals as booking_signals
from monitoring.metrics.recording import record_event, set_breaker_state
from salonbook import events
from waitlist import signals as waitlist_signals

_BOOKING_EVENT_NAMES = {
    booking_signals.booking_created: "created",
    booking_signals.booking_confirmed: "confirmed",
    booking_signals.booking_cancelled: "cancelled",
    booking_signals.booking_completed: "completed",
    booking_signals.booking_no_show: "no_show",
    booking_signals.booking_rescheduled: "rescheduled",
}
_MESSAGE_OUTCOMES = {
    booking_signals.message_sent: "sent",
    booking_signals.message_retried: "retried",
    booking_signals.message_failed: "failed",
    booking_signals.message_expired: "expired",
}
_WAITLIST_EVENT_NAMES = {
    waitlist_signals.waitlist_joined: "joined",
    waitlist_signals.waitlist_offered: "offered",
    waitlist_signals.waitlist_claimed: "claimed",
    waitlist_signals.waitlist_expired: "expired",
    waitlist_signals.waitlist_declined: "declined",
}
# What the provider's webhook reports about a sent message.
_DELIVERY_OUTCOMES = {"delivered": "delivered", "read": "read", "failed": "undelivered"}


def count_booking_event(sender: Any, signal: Any, **kwargs: Any) -> None:
    record_event("booking", _BOOKING_EVENT_NAMES[signal])


def count_waitlist_event(sender: Any, signal: Any, **kwargs: Any) -> None:
    record_event("waitlist", _WAITLIST_EVENT_NAMES[signal])


def count_message_outcome(sender: Any, signal: Any, kind: str = "", **kwargs: Any) -> None:
    record_event("message", f"{kind or 'unknown'}/{_MESSAGE_OUTCOMES[signal]}")


def count_message_status(sender: Any, kind: str = "", status: str = "", **kwargs: Any) -> None:
    if status in _DELIVERY_OUTCOMES:
        record_event("message", f"{kind or 'unknown'}/{_DELIVERY_OUTCOMES[status]}")


def record_breaker_state(sender: Any, old_state: str = "", new_state: str = "unknown", **kwargs: Any) -> None:
    set_breaker_state(old_state, new_state)


def count_cache_access(sender: Any, kind: str = "other", hit: bool = False, **kwargs: Any) -> None:
    record_event("cache_hit" if hit else "cache_miss", kind)


def count_rate_limited(sender: Any, scope: str = "api", **kwargs: Any) -> None:
    record_event("rate_limited", scope)


def count_rate_limit_failed_open(sender: Any, scope: str = "api", **kwargs: Any) -> None:
    record_event("rate_limit_failed_open", scope)


def count_receiver_failure(sender: Any, signal_name: str = "unknown", **kwargs: Any) -> None:
    record_event("receiver_failed", signal_name)


def connect() -> None:
    uid = "monitoring.count"
    for signal in _BOOKING_EVENT_NAMES:
        signal.connect(count_booking_event, dispatch_uid=uid)
    for signal in _MESSAGE_OUTCOMES:
        signal.connect(count_message_outcome, dispatch_uid=uid)
    for signal in _WAITLIST_EVENT_NAMES:
        signal.connect(count_waitlist_event, dispatch_uid=uid)
    booking_signals.message_status_reported.connect(count_message_status, dispatch_uid=uid)
    booking_signals.breaker_state_changed.connect(record_breaker_state, dispatch_uid=uid)
    events.cache_accessed.connect(count_cache_access, dispatch_uid=uid)
    events.rate_limited.connect(count_rate_limited, dispatch_uid=uid)
    events.rate_limit_failed_open.connect(count_rate_limit_failed_open, dispatch_uid=uid)
    events.receiver_failed.connect(count_receiver_failure, dispatch_uid=uid)
