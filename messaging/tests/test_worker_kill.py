"""Exactly once with real workers: a Celery worker (with beat) on a real Redis
broker sends a batch of messages of every kind (confirmations, moves,
cancellations, reminders, the salon's alerts, waitlist offers) to a real HTTP
provider; it is killed with SIGKILL in the middle of a send, twice; the next
worker finishes the batch. Every message must reach the customer exactly once.

Twice over: with a provider that drops repeats of an idempotency key (a
message whose send was cut off goes again under its key, and the provider
absorbs the repeat), and with one that does not (every POST reaches the
customer: a send that was cut off must not be repeated at all, and is left
failed, "outcome unknown", for a person to check).

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

from bookings.messages import lifecycle
from bookings.services import Actor, booking_cancel, booking_confirm, booking_reschedule
from bookings.tests.factories import make_booking, next_local
from bookings.tests.helpers import database_url, messages_of
from messaging import outbox
from messaging.models import Message
from messaging.outbox import message_row, messages_write
from messaging.tests.fake_provider import FakeProvider

pytestmark = [pytest.mark.slow, pytest.mark.redis]

BOOKINGS = 40
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


def wait_for(condition, *, timeout: float, what: str, ids=(), workers=()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    rows = list(
        Message.objects.filter(id__in=ids).exclude(status=S.SENT).values_list("id", "kind", "status", "attempts", "last_error")
    )
    logs = "\n".join(w.text()[-3000:] for w in workers)
    pytest.fail(f"timed out waiting for {what}; not sent: {rows}\n{logs}")


@pytest.fixture
def started_workers():
    workers: list[Worker] = []
    yield workers
    for worker in workers:  # also when the test failed or was interrupted
        worker.stop()


def _make_mixed_batch(service, staff_member, phones: list[str]) -> None:
    """One booking per customer, each brought to a different point of its life,
    so that every kind of message is owed at once."""
    salon = service.salon
    for i, phone in enumerate(phones):
        start = next_local(salon, days=3, at=dt.time(0)) + dt.timedelta(minutes=30 * i)
        role = i % 8
        salon.auto_confirm = role not in (2, 3)
        salon.save(update_fields=["auto_confirm"])
        actor = Actor.staff(None) if role in (1, 2) else Actor.customer()
        booking = make_booking(service=service, staff_member=staff_member, start=start, phone=phone, actor=actor)
        if role == 3:
            booking_confirm(booking=booking, actor=Actor.staff(None))
        elif role == 4:
            booking_reschedule(booking=booking, start=start + dt.timedelta(days=1), actor=Actor.customer())
        elif role == 5:
            # The salon heard of the booking earlier; now it hears of the cancellation.
            messages_of(booking).filter(kind="salon_new_booking").update(status=S.SENT)
            booking_cancel(booking=booking, actor=Actor.customer())
        elif role == 6:
            booking_cancel(booking=booking, actor=Actor.staff(None))
        elif role == 7:
            lifecycle.booking_messages_cancel_refused(booking=booking, now=timezone.now())
    salon.auto_confirm = True
    salon.save(update_fields=["auto_confirm"])
    now = timezone.now()
    for n in range(2):
        offer = message_row(
            salon_id=salon.pk, subject="", kind=Message.Kind.WAITLIST_OFFER, to=f"+4479111235{n:02d}",
            due_at=now, now=now,
            parameters={"customer_name": "Wait", "service_name": "Cut", "when": "soon", "expires": "later",
                        "claim_url": "https://example.test/claim"},
            expires_at=now + dt.timedelta(hours=1),
        )
        messages_write([offer], now=now)
    # The clock reaches the 24 h reminders too.
    Message.objects.filter(kind="reminder_24h", status=S.SCHEDULED).update(next_attempt_at=now)


UNKNOWN = "outcome unknown"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("provider_dedupes", [True, False], ids=["idempotent-provider", "provider-without-dedupe"])
def test_every_message_of_every_kind_reaches_the_customer_exactly_once_while_workers_are_killed(
    provider_dedupes, redis_url, service, staff_member, tmp_path, started_workers, monkeypatch
):
    fake = FakeProvider.start()
    fake.dedupe = provider_dedupes
    fake.delay = 0.25  # accepted, then answered: the window a kill must not turn into a duplicate
    switch = KillSwitch(fake)

    # Written without the after-commit hand-over: beat's dispatcher in the workers sends everything.
    monkeypatch.setattr(outbox, "messages_hand_over", lambda **kwargs: None)
    phones = [f"+4479111234{i:02d}" for i in range(BOOKINGS)]
    _make_mixed_batch(service, staff_member, phones)
    monkeypatch.undo()
    owed = list(Message.objects.filter(status=S.SCHEDULED, next_attempt_at__lte=timezone.now()))
    owed_ids = [m.pk for m in owed]
    total = len(owed)
    by_kind = Counter(m.kind for m in owed)
    assert set(by_kind) == {kind for kind in Message.Kind.values if kind != "reminder_2h"}, by_kind
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
        "WHATSAPP_IDEMPOTENT": "true" if provider_dedupes else "false",
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
            switch.arm(accepted=(round_ + 1) * total // (KILLS + 1))
            workers.append(Worker(f"w{round_ + 1}", env, tmp_path))
            if not switch.hit.wait(timeout=60):
                pytest.fail(f"worker {round_ + 1} sent nothing\n{workers[-1].text()[-3000:]}")
            workers[-1].kill()  # SIGKILL, mid-send
            killed_in_flight.append(Message.objects.filter(status=S.SENDING).count())
        switch.arm(None)
        workers.append(Worker(f"w{KILLS + 1}", env, tmp_path))
        # Without dedupe, a message cut off mid-send ends failed once its lease is over.
        done = (S.SENT,) if provider_dedupes else (S.SENT, S.FAILED)
        wait_for(
            lambda: Message.objects.filter(id__in=owed_ids, status__in=done).count() == total,
            timeout=120,
            what="every message to be marked sent" + ("" if provider_dedupes else " or failed"),
            ids=owed_ids,
            workers=workers,
        )
        time.sleep(1.5)  # any late duplicate would arrive now
    finally:
        for worker in workers:
            worker.stop()
        fake.stop()

    messages = list(Message.objects.filter(id__in=owed_ids))
    per_phone = Counter("+" + send["to"] for send in fake.sends)
    requests_per_key = fake.deliveries_per_key()
    logs = "".join(w.text() for w in workers)
    redelivered_skips = len(re.findall(r"not taken: claim is gone", logs))
    print(
        f"\nmessages={total} by_kind={dict(sorted(by_kind.items()))} kills={KILLS} "
        f"sending_at_kill={killed_in_flight} accepted_at_provider={fake.accepted} "
        f"requests_at_provider={len(fake.requests)} "
        f"repeats_absorbed_by_idempotency_key={len(fake.requests) - fake.accepted} "
        f"redelivered_or_duplicate_tasks_skipped={redelivered_skips} "
        f"max_requests_per_message={max(requests_per_key.values())}"
    )

    # Each person got exactly the messages owed to them, and nobody else got one.
    assert per_phone == Counter(m.to for m in owed)
    assert fake.accepted == total
    assert fake.sends_per_key() == Counter({str(m.idempotency_key): 1 for m in owed})
    assert sum(killed_in_flight) >= KILLS  # the kills really landed mid-send
    # Nothing else was sent: the 2h reminders are still waiting for their time,
    # and what the changes withdrew stayed withdrawn.
    assert set(Message.objects.filter(kind="reminder_2h").exclude(status=S.CANCELLED).values_list("status", flat=True)) == {S.SCHEDULED}
    assert not Message.objects.filter(status=S.CANCELLED, sent_at__isnull=False).exists()
    ids = {send["key"]: send["id"] for send in fake.sends}
    if provider_dedupes:
        # Database and provider agree on every message id.
        assert all(m.status == S.SENT and m.provider_message_id == ids[str(m.idempotency_key)] for m in messages)
        # Some sends were repeated under their key, and the provider absorbed the repeats.
        assert max(requests_per_key.values()) >= 2
    else:
        # No POST was ever repeated: the messages cut off mid-send were not
        # sent again but left for a person, the rest are sent with their ids.
        assert max(requests_per_key.values()) == 1
        unknown = [m for m in messages if m.status == S.FAILED]
        assert 1 <= len(unknown) <= sum(killed_in_flight)
        assert all(UNKNOWN in m.last_error for m in unknown)
        assert all(m.provider_message_id == ids[str(m.idempotency_key)] for m in messages if m.status == S.SENT)
