"""Celery tasks of the bookings app. They take ids (JSON), call a service, and
are safe to run twice: the services claim rows by compare-and-set. The time a
task starts at is read here and handed down to the service, except for a task
that finishes a change made at a known time, which is given that time."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from bookings.customer_data import personal_data_retention_run
from bookings.idempotency import idempotency_keys_purge
from bookings.messages import dispatch
from bookings.messages.delivery import message_deliver
from bookings.messages.dispatch import messages_dispatch_due


@shared_task(name="messages.dispatch_due", ignore_result=True)
def dispatch_due_messages() -> dict[str, int]:
    """Claim due messages and queue a send for each (beat, every minute)."""
    result = messages_dispatch_due(now=timezone.now())
    return {"claimed": len(result.claimed), "expired": result.expired, "recovered": result.recovered}


@shared_task(name="messages.send_due", ignore_result=True)
def send_due_messages(message_ids: list[int], written_at: str) -> list[int]:
    """Claim the messages a change just wrote and queue a send for each that
    is due at ``written_at`` (the change's time, ISO 8601)."""
    return dispatch.messages_send_due(message_ids=message_ids, now=dt.datetime.fromisoformat(written_at))


@shared_task(
    name="messages.send",
    ignore_result=True,
    # Acknowledged only when done: a worker killed mid-task leaves the message
    # to be delivered again, and the claim token makes the second run harmless.
    acks_late=True,
    reject_on_worker_lost=True,
    # Kill a send that hangs, well inside the lease after which the dispatcher
    # treats the message as abandoned. No soft limit: an exception raised in
    # the middle of the HTTP call would leave its outcome unknown anyway, and
    # the connect and read timeouts already bound a healthy call.
    time_limit=settings.REMINDER_SEND_TIME_LIMIT,
)
def send_message(message_id: int, claim_token: str) -> str:
    """Send one claimed message through the provider."""
    return message_deliver(message_id=message_id, claim_token=claim_token, now=timezone.now())


@shared_task(name="bookings.purge_idempotency_keys", ignore_result=True)
def purge_idempotency_keys() -> int:
    """Forget booking requests' Idempotency-Keys once their 24 hours are over (run by beat)."""
    return idempotency_keys_purge()


@shared_task(name="bookings.apply_personal_data_retention", ignore_result=True)
def apply_personal_data_retention() -> int:
    """Remove customers' personal data from bookings past the retention period (run by beat, daily)."""
    return personal_data_retention_run(months=settings.PERSONAL_DATA_RETENTION_MONTHS, now=timezone.now())
