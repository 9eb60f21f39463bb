"""Catch-up after the broker was down: nothing is lost, nothing is sent twice."""

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from bookings.tests.factories import make_booking, next_local
from bookings.tests.helpers import database_url, messages_of
from messaging.dispatch import messages_dispatch_due
from messaging.models import Message

S = Message.Status

_DISPATCH = """
import django, json
django.setup()
from messaging.dispatch import messages_dispatch_due
result = messages_dispatch_due()
print(json.dumps({"claimed": result.claimed}))
"""


@pytest.mark.django_db(transaction=True)
def test_reminders_claimed_while_the_broker_is_down_go_back_and_go_out_later(service, staff_member, eager_tasks):
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))
    messages_of(booking).filter(kind="reminder_24h").update(next_attempt_at=timezone.now())

    # A dispatcher whose broker is a dead port (nothing listens on 6399).
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "SENTRY_DSN"}},
        "DJANGO_SETTINGS_MODULE": "salonbook.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": "redis://127.0.0.1:6399/0",
        "LOG_LEVEL": "ERROR",
    }
    done = subprocess.run(
        [sys.executable, "-c", _DISPATCH], cwd=django_settings.BASE_DIR, env=env,
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    reminder = messages_of(booking).get(kind="reminder_24h")
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"claimed": [reminder.pk]}
    # It was claimed, the publish failed, and the claim was given back at once.
    assert (reminder.status, reminder.claim_token, reminder.attempts) == (S.SCHEDULED, None, 0)

    # The broker is back: the next run sends it (console backend, tasks in-process).
    result = messages_dispatch_due(now=timezone.now() + dt.timedelta(seconds=1))
    assert result.claimed == [reminder.pk]
    reminder.refresh_from_db()
    assert reminder.status == S.SENT and reminder.attempts == 1
