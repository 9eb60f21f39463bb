"""Helpers shared by the reminder tests (not tests themselves)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection

from bookings.messages.about import booking_subject
from messaging.models import Message


@contextlib.contextmanager
def caught(*signals_) -> Iterator[list[tuple[str, dict]]]:
    """Collect (signal name, kwargs) of every send of ``signals_``."""
    seen: list[tuple[str, dict]] = []

    def receiver(sender, signal, **kwargs):
        seen.append((signal.name, kwargs))

    for signal in signals_:
        signal.connect(receiver, weak=False)
    try:
        yield seen
    finally:
        for signal in signals_:
            signal.disconnect(receiver)


def database_url() -> str:
    """``DATABASE_URL`` of this test's database, for worker processes the test starts."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def messages_of(booking):
    """The outbox rows about ``booking``."""
    return Message.objects.about(booking_subject(booking.pk))
