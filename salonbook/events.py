"""Sending domain events after the transaction commits.

Signals are the bus between apps: caches, metrics and reminders listen. A
receiver that fails is logged and reported through ``receiver_failed`` and
never breaks the request that sent the event.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger("salonbook.events")

receiver_failed = Signal()
"""A receiver raised. Args: ``signal_name`` (str), ``receiver_name`` (str), ``error`` (Exception)."""


def _signal_name(signal: Signal) -> str:
    return getattr(signal, "name", None) or repr(signal)


def send_now(signal: Signal, sender: Any, **kwargs: Any) -> None:
    """Deliver ``signal`` to every receiver, isolating receivers' failures."""
    for receiver, result in signal.send_robust(sender=sender, **kwargs):
        if isinstance(result, Exception):
            name = getattr(receiver, "__qualname__", repr(receiver))
            logger.error(
                "event receiver failed",
                extra={"signal": _signal_name(signal), "receiver": name},
                exc_info=(type(result), result, result.__traceback__),
            )
            if signal is not receiver_failed:
                receiver_failed.send_robust(
                    sender=sender, signal_name=_signal_name(signal), receiver_name=name, error=result
                )


def send_on_commit(signal: Signal, sender: Any, **kwargs: Any) -> None:
    """Send ``signal`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: send_now(signal, sender, **kwargs), robust=True)


class NamedSignal(Signal):
    """A Signal that knows its own name, for logs and metrics."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


# --- Operational events: monitoring listens to these to count them -------------

cache_accessed = NamedSignal("cache_accessed")
"""A cached read. Args: ``kind`` (str: "availability" or "business_info"), ``hit`` (bool)."""

rate_limited = NamedSignal("rate_limited")
"""A request was refused for going over a limit. Args: ``scope`` (str: "api" or "bookings")."""

rate_limit_failed_open = NamedSignal("rate_limit_failed_open")
"""The rate-limit store could not be reached and a request was let through. Args: ``scope`` (str)."""
