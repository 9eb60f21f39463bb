"""Events go out after the commit, to receivers registered when the apps are
ready; a receiver that raises is logged and counted and never breaks the change."""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from bookings.models import Booking
from bookings.signals import booking_created
from bookings.tests.factories import make_booking, next_local
from salonbook.events import receiver_failed
from slots.availability import availability_for_day
from slots.cache import cached_availability
from slots.models import Slot
from slots.services import slot_block
from slots.signals import slot_blocked, slot_booked

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    """Connect a recording receiver to a signal for the test."""
    connected = []

    def connect(signal, *, raises: Exception | None = None):
        calls = []

        def record(sender, **kwargs):
            calls.append(kwargs)
            if raises is not None:
                raise raises

        signal.connect(record, weak=False)
        connected.append((signal, record))
        return calls

    yield connect
    for signal, record in connected:
        signal.disconnect(record)


def test_event_goes_out_only_once_the_change_commits(
    received, salon, staff_member, django_capture_on_commit_callbacks
):
    blocked = received(slot_blocked)
    start = next_local(salon, at=dt.time(13))
    slot = Slot.objects.get(staff_member=staff_member, start=start)
    with django_capture_on_commit_callbacks(execute=True):
        slot_block(slot=slot, reason="lunch")
        assert blocked == []  # still inside the transaction
    assert blocked == [{"signal": slot_blocked, "salon_id": salon.pk, "slot_ids": [slot.pk], "dates": {start.date()}}]


def test_rolled_back_change_sends_no_event(received, salon, staff_member, django_capture_on_commit_callbacks):
    blocked = received(slot_blocked)
    slot = Slot.objects.get(staff_member=staff_member, start=next_local(salon, at=dt.time(13)))
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            slot_block(slot=slot)
            raise RuntimeError("the rest of the change failed")
    assert blocked == []
    slot.refresh_from_db()
    assert slot.status == Slot.Status.AVAILABLE


def test_failing_receiver_is_logged_and_counted_and_the_booking_stands(
    received, caplog, service, staff_member, django_capture_on_commit_callbacks
):
    salon = service.salon
    day = timezone.localdate(timezone=salon.tz) + dt.timedelta(days=1)
    start = next_local(salon, at=dt.time(10))

    def availability():
        free = availability_for_day(salon=salon, day=day, service=service)
        return [f.start.isoformat() for f in free]

    def read():
        return cached_availability(
            slug=salon.slug, day=day, service_id=service.pk, staff_member_id=None, build=availability
        )

    assert start.isoformat() in read()
    received(booking_created, raises=RuntimeError("receiver bug"))
    received(slot_booked, raises=ValueError("another receiver bug"))
    failures = received(receiver_failed)

    with caplog.at_level(logging.ERROR, logger="salonbook.events"):
        with django_capture_on_commit_callbacks(execute=True):
            booking = make_booking(
                service=service, staff_member=staff_member, start=start, name="Ana Silva", phone="+447911123456"
            )

    assert Booking.objects.filter(pk=booking.pk, status=Booking.Status.CONFIRMED).exists()
    assert [(f["signal_name"], type(f["error"])) for f in failures] == [
        ("slot_booked", ValueError),
        ("booking_created", RuntimeError),
    ]
    assert all(f["receiver_name"].endswith("record") for f in failures)
    records = [r for r in caplog.records if r.name == "salonbook.events"]
    assert [(r.levelname, r.getMessage(), r.signal) for r in records] == [
        ("ERROR", "event receiver failed", "slot_booked"),
        ("ERROR", "event receiver failed", "booking_created"),
    ]
    logged = " ".join(r.getMessage() + json.dumps({"s": r.signal, "r": r.receiver}) for r in records)
    assert "Ana" not in logged and "7911" not in logged and booking.manage_token not in logged
    # The cache's own receiver still ran: the booked start is gone at once.
    assert start.isoformat() not in read()


def test_cache_receivers_are_registered_when_the_apps_are_ready():
    """Nothing but django.setup(): the receivers come from the apps' ready()."""
    script = (
        "import django, json; django.setup()\n"
        "from salons.signals import salon_updated, staff_schedule_changed\n"
        "from slots.signals import slot_booked, slot_released, slot_blocked, slot_unblocked, slots_generated\n"
        "signals = [salon_updated, staff_schedule_changed, slot_booked, slot_released, slot_blocked,"
        " slot_unblocked, slots_generated]\n"
        "print(json.dumps({s.name: sorted(str(k[0][0]) for k in s.receivers) for s in signals}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "salonbook.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    registered = json.loads(result.stdout.strip().splitlines()[-1])
    assert "salons.cache.business_info_changed" in registered["salon_updated"]
    assert "slots.cache.salon_updated" in registered["salon_updated"]
    assert "slots.cache.staff_schedule_changed" in registered["staff_schedule_changed"]
    assert "slots.cache.slots_generated" in registered["slots_generated"]
    for name in ("slot_booked", "slot_released", "slot_blocked", "slot_unblocked"):
        assert f"slots.cache.{name}" in registered[name]
