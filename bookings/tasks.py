"""Celery tasks of the bookings app. They take ids (JSON), call a service, and
are safe to run twice: the services claim rows by compare-and-set. The time a
task starts at is read here and handed down to the service."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from bookings.customer_data import personal_data_retention_run
from bookings.idempotency import idempotency_keys_purge
from bookings.reminders.delivery import reminder_deliver
from bookings.reminders.dispatch import reminders_dispatch_due


@shared_task(name="reminders.dispatch_due", ignore_result=True)
def dispatch_due_reminders() -> dict[str, int]:
    """Claim due reminders and queue a send for each (beat, every minute)."""
    result = reminders_dispatch_due(now=timezone.now())
    return {"claimed": len(result.claimed), "expired": result.expired, "recovered": result.recovered}


@shared_task(
    name="reminders.send",
    ignore_result=True,
    # Acknowledged only when done: a worker killed mid-task leaves the message
    # to be delivered again, and the claim token makes the second run harmless.
    acks_late=True,
    reject_on_worker_lost=True,
    # Kill a send that hangs, well inside the lease after which the dispatcher
    # treats the reminder as abandoned. No soft limit: an exception raised in
    # the middle of the HTTP call would leave its outcome unknown anyway, and
    # the connect and read timeouts already bound a healthy call.
    time_limit=settings.REMINDER_SEND_TIME_LIMIT,
)
def send_reminder(reminder_id: int, claim_token: str) -> str:
    """Send one claimed reminder through the provider."""
    return reminder_deliver(reminder_id=reminder_id, claim_token=claim_token, now=timezone.now())


@shared_task(name="bookings.purge_idempotency_keys", ignore_result=True)
def purge_idempotency_keys() -> int:
    """Forget booking requests' Idempotency-Keys once their 24 hours are over (run by beat)."""
    return idempotency_keys_purge()


@shared_task(name="bookings.apply_personal_data_retention", ignore_result=True)
def apply_personal_data_retention() -> int:
    """Remove customers' personal data from bookings past the retention period (run by beat, daily)."""
    return personal_data_retention_run(months=settings.PERSONAL_DATA_RETENTION_MONTHS, now=timezone.now())
