"""Celery tasks of the bookings app. They take ids (JSON), call a service, and
are safe to run twice: the services claim rows by compare-and-set. The time a
task starts at is read here and handed down to the service, except for a task
that finishes a change made at a known time, which is given that time."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from bookings.customer_data import personal_data_retention_run
from bookings.idempotency import idempotency_keys_purge


@shared_task(name="bookings.purge_idempotency_keys", ignore_result=True)
def purge_idempotency_keys() -> int:
    """Forget booking requests' Idempotency-Keys once their 24 hours are over (run by beat)."""
    return idempotency_keys_purge()


@shared_task(name="bookings.apply_personal_data_retention", ignore_result=True)
def apply_personal_data_retention() -> int:
    """Remove customers' personal data from bookings past the retention period (run by beat, daily)."""
    return personal_data_retention_run(months=settings.PERSONAL_DATA_RETENTION_MONTHS, now=timezone.now())
