"""The circuit breaker around the WhatsApp provider (pybreaker).

It opens after ``WHATSAPP_BREAKER_FAIL_MAX`` consecutive failures and lets one
trial through after ``WHATSAPP_BREAKER_RESET_SECONDS``. Its state lives in
Redis so that every worker sees the same breaker; without Redis each process
keeps its own.

Two pybreaker habits shape this module:

- ``CircuitRedisStorage`` writes to Redis in its constructor, so the breaker
  is built lazily on first use (never at import, never in a process that
  forks workers afterwards), and it needs a client without
  ``decode_responses``.
- By default the call that trips the breaker raises ``CircuitBreakerError``
  instead of the provider's error. We ask for the original error
  (``throw_new_error_on_trip=False``), so ``CircuitBreakerError`` always means
  "the provider was not called" and never costs a message an attempt.

A state change is logged and sent as ``breaker_state_changed`` once, by the
process whose write changed the stored state (``SET ... GET``), not once per
worker that notices it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import pybreaker
import redis
from django.conf import settings

from bookings import signals
from bookings.messages.providers import PermanentError
from salonbook.events import send_now
from salonbook.redis_clients import redis_client

logger = logging.getLogger("salonbook.messages.breaker")

T = TypeVar("T")

CLOSED, OPEN, HALF_OPEN = pybreaker.STATE_CLOSED, pybreaker.STATE_OPEN, pybreaker.STATE_HALF_OPEN
NAMESPACE = "sb:whatsapp"
LOCAL_FALLBACK_SECONDS = 30.0

CircuitBreakerError = pybreaker.CircuitBreakerError


def _report(old: str | None, new: str) -> None:
    old = old or CLOSED
    if old == new:
        return
    level = logging.WARNING if new == OPEN else logging.INFO
    logger.log(level, "whatsapp breaker %s -> %s", old, new, extra={"old_state": old, "new_state": new})
    send_now(signals.breaker_state_changed, sender=WhatsAppBreaker, old_state=old, new_state=new)


class _ReportingRedisStorage(pybreaker.CircuitRedisStorage):
    @property
    def state(self) -> str:
        return super().state

    @state.setter
    def state(self, state: str) -> None:
        try:
            old = self._redis.set(self._namespace("state"), str(state), get=True)
        except redis.RedisError:
            logger.warning("breaker state not saved: Redis unavailable")
            return
        _report(old.decode() if isinstance(old, bytes) else None, str(state))


class _ReportingMemoryStorage(pybreaker.CircuitMemoryStorage):
    @property
    def state(self) -> str:
        return super().state

    @state.setter
    def state(self, state: str) -> None:
        old, self._state = self._state, state
        _report(old, state)


@dataclass(frozen=True)
class Gate:
    """What the breaker allows right now, read without calling anything."""

    state: str  # closed, open, half-open
    reopens_at: dt.datetime | None = None  # while open: when a trial call is allowed

    @property
    def is_open(self) -> bool:
        return self.reopens_at is not None

    @property
    def probing(self) -> bool:
        """Cool-down over: one trial call decides whether it closes."""
        return self.state != CLOSED and self.reopens_at is None


class WhatsAppBreaker:
    def __init__(
        self, *, redis_url: str | None, fail_max: int, reset_timeout: float, namespace: str = NAMESPACE
    ) -> None:
        self.redis_url = redis_url
        self.fail_max = fail_max
        self.reset_timeout = reset_timeout
        self.namespace = namespace
        self._breaker: pybreaker.CircuitBreaker | None = None
        self._local_until: float | None = None
        self._lock = threading.Lock()

    def _storage(self) -> pybreaker.CircuitBreakerStorage:
        if not self.redis_url:
            return _ReportingMemoryStorage(CLOSED)
        client = redis_client(
            self.redis_url,
            socket_connect_timeout=settings.REDIS_TIMEOUT,
            socket_timeout=settings.REDIS_TIMEOUT,
            decode_responses=False,  # pybreaker decodes bytes itself
        )
        try:
            # pybreaker's storage makes single-key calls only, which a Redis
            # Cluster's client routes like one Redis's.
            return _ReportingRedisStorage(CLOSED, cast("redis.Redis", client), namespace=self.namespace)
        except redis.RedisError:
            # Redis is down at start: the storage would fail its constructor.
            # A local breaker protects this process; Redis is tried again later.
            logger.warning("breaker falls back to this process: Redis unavailable")
            self._local_until = time.monotonic() + LOCAL_FALLBACK_SECONDS
            return _ReportingMemoryStorage(CLOSED)

    @property
    def breaker(self) -> pybreaker.CircuitBreaker:
        if self._local_until is not None and time.monotonic() >= self._local_until:
            with self._lock:
                self._breaker, self._local_until = None, None  # try the shared one again
        if self._breaker is None:
            with self._lock:
                if self._breaker is None:
                    self._breaker = pybreaker.CircuitBreaker(
                        fail_max=self.fail_max,
                        reset_timeout=self.reset_timeout,
                        exclude=[PermanentError],  # a bad number says the provider is up
                        state_storage=self._storage(),
                        name="whatsapp",
                        throw_new_error_on_trip=False,
                    )
        return self._breaker

    def call(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``func`` through the breaker; ``CircuitBreakerError`` means it was not called."""
        return self.breaker.call(func, *args, **kwargs)

    def gate(self) -> Gate:
        # Read the shared state the way pybreaker's open state decides, without
        # making a call: the dispatcher must not claim work it cannot send.
        storage = self.breaker._state_storage
        state = storage.state
        if state == OPEN:
            opened_at = storage.opened_at
            if opened_at is not None:
                reopens_at = opened_at + dt.timedelta(seconds=self.reset_timeout)
                if dt.datetime.now(dt.UTC) < reopens_at:
                    return Gate(OPEN, reopens_at)
        return Gate(state)

    @property
    def state(self) -> str:
        return self.breaker.current_state

    @property
    def fail_counter(self) -> int:
        return self.breaker.fail_counter


_breaker: WhatsAppBreaker | None = None
_breaker_lock = threading.Lock()


def get_breaker() -> WhatsAppBreaker:
    """The process's breaker (its state is shared through Redis), built on first use."""
    global _breaker
    if _breaker is None:
        with _breaker_lock:
            if _breaker is None:
                _breaker = WhatsAppBreaker(
                    redis_url=settings.WHATSAPP_BREAKER_REDIS_URL,
                    fail_max=settings.WHATSAPP_BREAKER_FAIL_MAX,
                    reset_timeout=settings.WHATSAPP_BREAKER_RESET_SECONDS,
                )
    return _breaker


def reset_breaker() -> None:
    """Forget this process's breaker object (not the shared state): settings apply anew."""
    global _breaker
    _breaker = None
