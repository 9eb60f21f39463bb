"""Celery tasks of the outbox's dispatcher. They take ids (JSON), call the
dispatcher, and are safe to run twice: rows are claimed by compare-and-set.
The send task itself lives beside the work it does (``delivery.send_message``),
so that the dispatcher can queue it without importing this module."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from messaging.dispatch import messages_dispatch_due, messages_send_due


@shared_task(name="messages.dispatch_due", ignore_result=True)
def dispatch_due_messages() -> dict[str, int]:
    """Claim due messages and queue a send for each (beat, every minute)."""
    result = messages_dispatch_due(now=timezone.now())
    return {"claimed": len(result.claimed), "expired": result.expired, "recovered": result.recovered}


@shared_task(name="messages.send_due", ignore_result=True)
def send_due_messages(message_ids: list[int], written_at: str) -> list[int]:
    """Claim the messages a change just wrote and queue a send for each that
    is due at ``written_at`` (the change's time, ISO 8601)."""
    return messages_send_due(message_ids=message_ids, now=dt.datetime.fromisoformat(written_at))
