"""Delivery: the send task's work on one claimed message, and how a claim ends.

Owns ``queued -> sending`` (the task takes its claim) and every way out of
``sending``: ``sent`` with the provider's message id, back to ``scheduled``
for a retry (backoff with jitter) or while the breaker is open (no attempt
used), ``failed`` (refused for good, out of attempts, or an outcome nobody
can know), ``expired`` and ``cancelled``. Every write is a compare-and-set
under the claim token, so a task that lost its claim changes nothing.

``message_expire`` and ``message_fail`` are also how the dispatcher ends
rows it finds late or abandoned. ``send_message`` is the Celery task the
dispatcher queues per claim.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid

from celery import shared_task
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from messaging import signals
from messaging.breaker import CircuitBreakerError, get_breaker
from messaging.inbound import early_statuses_apply
from messaging.models import Message
from messaging.providers import OutgoingMessage, PermanentError, ProviderError, get_provider
from messaging.registry import untrue_messages
from messaging.texts import message_description, message_text, whatsapp_template
from salonbook.events import send_now

logger = logging.getLogger("salonbook.messages")

S = Message.Status


def under_claim(message_id: int, status: str, token: uuid.UUID | None) -> QuerySet[Message]:
    """The row, only while it is still in ``status`` under ``token``: the
    condition of every compare-and-set after a claim."""
    return Message.objects.filter(id=message_id, status=status, claim_token=token)


def _emit(signal, *, message_id: int, kind: str | None = None, **kwargs) -> None:
    if kind is None:  # the metrics count messages by kind
        kind = Message.objects.filter(id=message_id).values_list("kind", flat=True).first() or ""
    send_now(signal, sender=Message, message_id=message_id, kind=kind, **kwargs)


def retry_delay(attempts: int, *, retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Seconds to wait after ``attempts`` failed sends: exponential, capped, with
    "equal jitter" (half fixed, half random) so that reminders failed together
    do not all come back in the same second, yet never retry at once."""
    uniform = (rng or random).uniform
    ceiling = min(settings.REMINDER_RETRY_MAX_SECONDS, settings.REMINDER_RETRY_BASE_SECONDS * 2 ** (attempts - 1))
    delay = ceiling / 2 + uniform(0, ceiling / 2)
    if retry_after is not None:  # the provider said when (429): never earlier
        delay = max(delay, min(retry_after, settings.REMINDER_RETRY_MAX_SECONDS))
    return delay


def message_expire(
    *, message_id: int, reason: str, now: dt.datetime, status: str = S.SCHEDULED, token: uuid.UUID | None = None
) -> bool:
    """Mark the message expired (too late to be true: its appointment began, or
    a later reminder for the same time makes it moot) if it is still in
    ``status`` under ``token``."""
    changed = under_claim(message_id, status, token).update(
        status=S.EXPIRED, claim_token=None, last_error=reason, updated_at=now
    )
    if changed:
        _emit(signals.message_expired, message_id=message_id)
    return bool(changed)


def message_fail(
    *, message_id: int, status: str, token: uuid.UUID | None, error: str, now: dt.datetime, attempts: int | None = None
) -> bool:
    """Mark the message failed, for a person to look at, if it is still in
    ``status`` under ``token``. ``error`` is stored and logged: no personal data."""
    update: dict[str, object] = {"status": S.FAILED, "claim_token": None, "last_error": error, "updated_at": now}
    if attempts is not None:
        update["attempts"] = attempts
    changed = under_claim(message_id, status, token).update(**update)
    if changed:
        logger.warning("message %s failed: %s", message_id, error, extra={"message_id": message_id})
        _emit(signals.message_failed, message_id=message_id, error=error)
    return bool(changed)


def _wait_for_breaker(message_id: int, token: uuid.UUID, reopens_at: dt.datetime | None, *, now: dt.datetime) -> None:
    # A few seconds of jitter so the first dispatcher run after the cool-down
    # does not find every waiting message due in the same instant.
    at = max(reopens_at or now, now) + dt.timedelta(seconds=random.uniform(0, 5))
    under_claim(message_id, S.SENDING, token).update(
        status=S.SCHEDULED, claim_token=None, next_attempt_at=at, last_error="waiting: provider circuit open",
        updated_at=now,
    )


def _retry_later(
    message_id: int, token: uuid.UUID, attempts: int, exc: Exception, error: str, *, now: dt.datetime
) -> str:
    if attempts >= settings.REMINDER_MAX_ATTEMPTS:
        message_fail(message_id=message_id, status=S.SENDING, token=token, error=error, attempts=attempts, now=now)
        return "failed"
    delay = retry_delay(attempts, retry_after=getattr(exc, "retry_after", None))
    changed = under_claim(message_id, S.SENDING, token).update(
        status=S.SCHEDULED,
        claim_token=None,
        attempts=attempts,
        last_error=error,
        next_attempt_at=now + dt.timedelta(seconds=delay),
        updated_at=now,
    )
    if changed:
        logger.info("message %s will retry in %.0fs: %s", message_id, delay, error, extra={"message_id": message_id})
        _emit(signals.message_retried, message_id=message_id, error=error)
    return "retry"


def _after_failed_send(
    message_id: int, token: uuid.UUID, attempts: int, exc: Exception, *, provider_idempotent: bool, now: dt.datetime
) -> str:
    """Record why a send did not go through; called while ``exc`` is being handled."""
    if isinstance(exc, CircuitBreakerError):
        # Opened by another worker since the gate check: the provider was not called.
        _wait_for_breaker(message_id, token, get_breaker().gate().reopens_at, now=now)
        return "waiting"
    if isinstance(exc, PermanentError):
        message_fail(message_id=message_id, status=S.SENDING, token=token, error=str(exc), attempts=attempts, now=now)
        return "failed"
    if isinstance(exc, ProviderError):
        error, ambiguous = str(exc), exc.ambiguous
    else:  # a bug in the middle of a send: whether it left is unknown
        logger.exception("message %s: unexpected error while sending", message_id)
        error, ambiguous = f"unexpected error {type(exc).__name__}", True
    if ambiguous and not provider_idempotent:
        # It may have arrived, and a repeat could not be recognised: a
        # person decides (admin "retry now") rather than risk a duplicate.
        message_fail(
            message_id=message_id, status=S.SENDING, token=token, attempts=attempts, now=now,
            error=f"outcome unknown: {error}; not sent again to avoid a duplicate",
        )
        return "failed"
    return _retry_later(message_id, token, attempts, exc, error, now=now)


def message_deliver(*, message_id: int, claim_token: str, now: dt.datetime | None = None) -> str:
    """Send one claimed message. Returns the outcome: ``sent``, ``retry``,
    ``failed``, ``waiting``, ``expired``, ``cancelled`` or ``skipped``.

    Never inside a transaction: each write is one autocommitted
    compare-and-set, and the provider is called between them.
    """
    now = now or timezone.now()
    try:
        token = uuid.UUID(str(claim_token))
    except ValueError:
        return "skipped"
    taken = under_claim(message_id, S.QUEUED, token).update(status=S.SENDING, claimed_at=now, updated_at=now)
    if taken != 1:
        # A redelivered or duplicated task, or a row reclaimed since: not ours.
        logger.info("message %s not taken: claim is gone", message_id, extra={"message_id": message_id})
        return "skipped"

    message = Message.objects.get(id=message_id)
    untrue = untrue_messages([message]).get(message_id)
    if untrue is not None:
        under_claim(message_id, S.SENDING, token).update(
            status=S.CANCELLED, claim_token=None, last_error=untrue, updated_at=now
        )
        return "cancelled"
    if message.expires_at is not None and message.expires_at <= now:
        message_expire(
            message_id=message_id, status=S.SENDING, token=token, now=now,
            reason="too late: the appointment started before it could be sent",
        )
        return "expired"

    breaker = get_breaker()
    gate = breaker.gate()
    if gate.is_open:
        _wait_for_breaker(message_id, token, gate.reopens_at, now=now)
        return "waiting"

    attempts = message.attempts + 1
    try:
        described = message_description(message)  # the subject read once, as it is now
        template, language, parameters = whatsapp_template(message, described=described)
        outgoing = OutgoingMessage(
            to=message.to,
            text=message_text(message, described=described),
            idempotency_key=str(message.idempotency_key),
            template=template,
            language=language,
            parameters=parameters,
        )
    except Exception as exc:  # a template or data bug: nothing was sent
        logger.exception("message %s: could not render the message", message_id)
        return _retry_later(message_id, token, attempts, exc, f"message not rendered: {type(exc).__name__}", now=now)
    provider = get_provider()
    try:
        provider_id = breaker.call(provider.send, outgoing)
    except Exception as exc:
        # Dated from the provider's answer, not from the task's start: the call
        # may have used its whole read timeout, and a backoff counts from the failure.
        return _after_failed_send(
            message_id, token, attempts, exc, provider_idempotent=provider.idempotent, now=timezone.now()
        )

    sent_at = timezone.now()  # likewise: when the provider took it
    marked = under_claim(message_id, S.SENDING, token).update(
        status=S.SENT,
        claim_token=None,
        attempts=attempts,
        sent_at=sent_at,
        provider_message_id=provider_id,
        last_error="",
        updated_at=sent_at,
    )
    if marked:
        early_statuses_apply(provider_message_id=provider_id, now=sent_at)
    else:
        # Only possible if this send outlived its lease (the time limit should
        # prevent that): the row was taken over and the provider's idempotency
        # is what keeps the customer from a second message.
        logger.error("message %s sent but its claim was gone", message_id, extra={"message_id": message_id})
    _emit(signals.message_sent, message_id=message_id, kind=message.kind)
    return "sent"


@shared_task(
    name="messages.send",
    ignore_result=True,
    # Acknowledged only when done: a worker killed mid-task leaves the message
    # to be delivered again, and the claim token makes the second run harmless.
    acks_late=True,
    reject_on_worker_lost=True,
    # Kill a send that hangs, well inside the lease after which the dispatcher
    # treats the message as abandoned. No soft limit: an exception raised in
    # the middle of the HTTP call would leave its outcome unknown anyway, and
    # the connect and read timeouts already bound a healthy call.
    time_limit=settings.REMINDER_SEND_TIME_LIMIT,
)
def send_message(message_id: int, claim_token: str) -> str:
    """Send one claimed message through the provider."""
    return message_deliver(message_id=message_id, claim_token=claim_token, now=timezone.now())
