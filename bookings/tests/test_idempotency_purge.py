import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from bookings.models import IdempotencyKey
from bookings.tasks import purge_idempotency_keys

pytestmark = pytest.mark.django_db


def test_keys_older_than_a_day_are_purged_and_fresh_ones_kept():
    now = timezone.now()
    old = IdempotencyKey.objects.create(key="old", scope="bookings", request_fingerprint="x", created_at=now - dt.timedelta(hours=25))
    fresh = IdempotencyKey.objects.create(key="fresh", scope="bookings", request_fingerprint="y", created_at=now - dt.timedelta(hours=23))
    assert purge_idempotency_keys() == 1
    assert not IdempotencyKey.objects.filter(pk=old.pk).exists()
    assert IdempotencyKey.objects.filter(pk=fresh.pk).exists()


def test_beat_runs_the_purge():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "bookings.purge_idempotency_keys" in tasks
