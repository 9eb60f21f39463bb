"""A booking's messages are written in its own transaction: whatever happens
after the commit (a failing callback, a killed process), they exist, and the
dispatcher sends them."""

import os
import signal
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from bookings.messages import dispatch, outbox
from bookings.models import Booking, Message
from bookings.tests.factories import make_booking, next_local
from bookings.tests.helpers import database_url

S = Message.Status
OWED = ["booking_confirmed", "reminder_24h", "reminder_2h", "salon_new_booking"]


def _broken(*args, **kwargs):
    raise RuntimeError("after-commit work failed")


@pytest.mark.django_db(transaction=True)
def test_messages_exist_when_the_after_commit_path_raises(service, staff_member, monkeypatch, eager_tasks):
    # Every event receiver and the hand-over to the dispatcher fail after the commit.
    monkeypatch.setattr("salonbook.events.send_now", _broken)
    monkeypatch.setattr(outbox, "messages_hand_over", _broken)
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))
    assert sorted(booking.messages.values_list("kind", flat=True)) == OWED
    confirmation = booking.messages.get(kind="booking_confirmed")
    assert confirmation.status == S.SCHEDULED  # never handed over...
    monkeypatch.undo()
    # ...so beat's next dispatcher run sends it (console backend, tasks in this process).
    dispatch.messages_dispatch_due(now=timezone.now())
    confirmation.refresh_from_db()
    assert confirmation.status == S.SENT


_BOOK_AND_DIE = """
import os, signal, django
django.setup()
from bookings.services import BookingRequest, Customer, booking_create
from bookings.signals import booking_created
from salons.models import Service, StaffMember
import datetime as dt

def die(sender, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # the process is killed right after the commit

booking_created.connect(die, weak=False)
service = Service.objects.get(pk={service})
booking_create(request=BookingRequest(
    salon=service.salon, service=service, staff_member=StaffMember.objects.get(pk={staff}),
    start=dt.datetime.fromisoformat("{start}"), customer=Customer("Kim", "+447911123457"),
))
print("survived")
"""


@pytest.mark.django_db(transaction=True)
def test_messages_exist_when_the_process_is_killed_right_after_commit(service, staff_member):
    start = next_local(service.salon, days=3)
    script = _BOOK_AND_DIE.format(service=service.pk, staff=staff_member.pk, start=start.isoformat())
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_BROKER_URL", "SENTRY_DSN"}},
        "DJANGO_SETTINGS_MODULE": "salonbook.settings",
        "DATABASE_URL": database_url(),
        "LOG_LEVEL": "ERROR",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    assert "survived" not in done.stdout
    booking = Booking.objects.get(customer_phone="+447911123457")
    assert sorted(booking.messages.values_list("kind", flat=True)) == OWED
    assert set(booking.messages.values_list("status", flat=True)) == {S.SCHEDULED}
