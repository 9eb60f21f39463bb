"""Exactly once with real workers: a Celery worker (with beat) on a real Redis
broker sends a batch of reminders to a real HTTP provider; it is killed with
SIGKILL in the middle of a send, twice; the next worker finishes the batch.
Every reminder must reach the provider exactly once.

The worker processes use this test's database (committed data: a
``transaction=True`` test) through ``DATABASE_URL``.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from bookings.models import Message
from bookings.tests.factories import make_booking, next_local
from bookings.tests.fake_provider import FakeProvider
from bookings.tests.helpers import database_url

pytestmark = [pytest.mark.slow, pytest.mark.redis]

REMINDERS = 40
KILLS = 2
S = Message.Status


class KillSwitch:
    """Lets the test kill a worker at the moment the provider has accepted a
    message but not yet answered it: the send happened, the mark has not."""

    def __init__(self, fake: FakeProvider) -> None:
        self.armed_at: int | None = None
        self.hit = threading.Event()
        fake.on_accept = self._accepted

    def _accepted(self, count: int) -> None:
        if self.armed_at is not None and count >= self.armed_at:
            self.hit.set()

    def arm(self, accepted: int | None) -> None:
        self.hit.clear()
        self.armed_at = accepted


_LIBC: ctypes.CDLL | None
try:
    _LIBC = ctypes.CDLL(None)  # loaded here: between fork and exec only the call is safe
except OSError:
    _LIBC = None


def _die_with_parent() -> None:
    """In the worker: get SIGKILL if the test process dies, so no worker outlives
    an interrupted run and keeps consuming from the shared broker."""
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Worker:
    def __init__(self, name: str, env: dict, log_dir: Path) -> None:
        self.log_path = log_dir / f"{name}.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "salonbook", "worker", "--beat",
                "--schedule", str(log_dir / f"{name}-beat"),
                "--pool", "prefork", "--concurrency", "2",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "--hostname", f"{name}@%h", "--loglevel", "INFO",
            ],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the kill takes every child
            preexec_fn=_die_with_parent,
        )

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        self.process.wait(timeout=10)

    def stop(self) -> None:
        try:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            self.kill()  # the group: beat and pool children too, whatever happened above
            self.log.close()

    def text(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")


def wait_for(condition, *, timeout: float, what: str, workers=()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    rows = list(Message.objects.filter(kind="reminder_24h").exclude(status=S.SENT).values_list("id", "status", "attempts", "last_error"))
    logs = "\n".join(w.text()[-3000:] for w in workers)
    pytest.fail(f"timed out waiting for {what}; not sent: {rows}\n{logs}")


@pytest.fixture
def started_workers():
    workers: list[Worker] = []
    yield workers
    for worker in workers:  # also when the test failed or was interrupted
        worker.stop()


@pytest.mark.django_db(transaction=True)
def test_every_reminder_reaches_the_provider_exactly_once_while_workers_are_killed(
    redis_url, service, staff_member, tmp_path, started_workers
):
    fake = FakeProvider.start()
    fake.delay = 0.25  # accepted, then answered: the window a kill must not turn into a duplicate
    switch = KillSwitch(fake)

    # One booking per customer (their own number), 24h reminders made due now.
    phones = [f"+4479111234{i:02d}" for i in range(REMINDERS)]
    for i, phone in enumerate(phones):
        start = next_local(service.salon, days=3 + i // 40, at=dt.time(0)) + dt.timedelta(minutes=30 * (i % 40))
        make_booking(service=service, staff_member=staff_member, start=start, phone=phone)
    assert Message.objects.filter(kind="reminder_24h", status=S.SCHEDULED).count() == REMINDERS
    Message.objects.filter(kind="reminder_24h").update(next_attempt_at=timezone.now())  # the clock reaches them

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "salonbook.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "WHATSAPP_BACKEND": "http",
        "WHATSAPP_API_URL": fake.url,
        "WHATSAPP_TOKEN": "test-token",
        "WHATSAPP_PHONE_NUMBER_ID": "1234567890",
        "WHATSAPP_IDEMPOTENT": "true",
        "WHATSAPP_CONNECT_TIMEOUT": "1",
        "WHATSAPP_READ_TIMEOUT": "2",
        "REMINDER_DISPATCH_SECONDS": "1",
        "REMINDER_SEND_TIME_LIMIT": "4",
        "REMINDER_SEND_LEASE_SECONDS": "5",
        "REMINDER_QUEUE_LEASE_SECONDS": "30",
        "REMINDER_RETRY_BASE_SECONDS": "1",
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_UNACKED_RESTORE_SECONDS": "1",
        "LOG_JSON": "false",
        "PYTHONUNBUFFERED": "1",
    }
    workers = started_workers
    killed_in_flight = []
    try:
        for round_ in range(KILLS):
            switch.arm(accepted=(round_ + 1) * REMINDERS // (KILLS + 1))
            workers.append(Worker(f"w{round_ + 1}", env, tmp_path))
            if not switch.hit.wait(timeout=60):
                pytest.fail(f"worker {round_ + 1} sent nothing\n{workers[-1].text()[-3000:]}")
            workers[-1].kill()  # SIGKILL, mid-send
            killed_in_flight.append(Message.objects.filter(status=S.SENDING).count())
        switch.arm(None)
        workers.append(Worker(f"w{KILLS + 1}", env, tmp_path))
        wait_for(
            lambda: Message.objects.filter(kind="reminder_24h", status=S.SENT).count() == REMINDERS,
            timeout=90,
            what="every reminder to be marked sent",
            workers=workers,
        )
        time.sleep(1.5)  # any late duplicate would arrive now
    finally:
        for worker in workers:
            worker.stop()
        fake.stop()

    reminders = list(Message.objects.filter(kind="reminder_24h"))
    per_phone = Counter("+" + record["to"] for record in fake.delivered.values())
    requests_per_key = fake.deliveries_per_key()
    logs = "".join(w.text() for w in workers)
    redelivered_skips = len(re.findall(r"not taken: claim is gone", logs))
    print(
        f"\nreminders={REMINDERS} kills={KILLS} sending_at_kill={killed_in_flight} "
        f"accepted_at_provider={fake.accepted} requests_at_provider={len(fake.requests)} "
        f"repeats_absorbed_by_idempotency_key={len(fake.requests) - fake.accepted} "
        f"redelivered_or_duplicate_tasks_skipped={redelivered_skips}"
    )

    # Each customer got exactly one message, and nobody else got one.
    assert per_phone == Counter(phones)
    assert fake.accepted == REMINDERS
    assert {str(r.idempotency_key) for r in reminders} == set(fake.delivered)
    # Database and provider agree on every message id.
    ids = {key: message["id"] for key, message in fake.delivered.items()}
    assert all(r.status == S.SENT and r.provider_message_id == ids[str(r.idempotency_key)] for r in reminders)
    # The kills really landed mid-send: some sends were repeated under their key.
    assert sum(killed_in_flight) >= KILLS
    assert max(requests_per_key.values()) >= 2
    # Nothing else was sent: the 2h reminders are still waiting for their time.
    assert set(Message.objects.filter(kind="reminder_2h").values_list("status", flat=True)) == {S.SCHEDULED}
