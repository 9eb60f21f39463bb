"""``Idempotency-Key``: a retried POST gets the first answer and changes nothing.

The first request with a key claims it by inserting a row (the unique
constraint on scope + key decides between racing requests), does its work and
stores its answer in the same transaction. A retry with the same key and the
same body gets that stored answer; the same key with another body is refused.
If the work fails with an error that is not stored, the claim rolls back with
it, and the key can be used again. Keys live in the database, not the cache,
so a retry during a Redis outage still finds them, for 24 hours.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response

from bookings.models import IdempotencyKey
from salonbook.errors import DomainError, InvalidInput

KEY_LIFETIME = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422
    default_message = "This Idempotency-Key was already used with a different request."


@dataclass(frozen=True)
class Outcome:
    status: int
    body: Any
    replayed: bool = False


def request_fingerprint(payload: Any) -> str:
    """A digest of the request body that ignores key order and spacing."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    # A JSON body may carry a lone surrogate ("\ud800"): digested as it
    # came, so the request reaches validation and gets its 400, not a 500.
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            "The Idempotency-Key header must be 1 to 255 printable characters, e.g. a UUID.",
            details={"Idempotency-Key": ["Use 1 to 255 printable characters, e.g. a UUID."]},
        )
    return key


def idempotent(
    *,
    key: str,
    scope: str,
    fingerprint: str,
    run: Callable[[], Outcome],
    now: dt.datetime | None = None,
) -> Outcome:
    """``run()`` once per ``(scope, key)``; later calls get its stored outcome.

    ``run`` returns the outcome to store; an exception it raises rolls back
    its work and the claim together, so nothing is stored and a retry runs
    again. Raises ``IdempotencyKeyReused`` when ``fingerprint`` differs from
    the first request's.
    """
    now = now or timezone.now()
    key = check_key(key)
    with transaction.atomic():
        # An expired key is forgotten: its first request is more than a day old.
        IdempotencyKey.objects.filter(scope=scope, key=key, created_at__lt=now - KEY_LIFETIME).delete()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    scope=scope, key=key, request_fingerprint=fingerprint, created_at=now
                )
        except IntegrityError:
            # Another request holds the key. On PostgreSQL our insert waited
            # for it to commit; on SQLite the write lock ordered us after it.
            stored = IdempotencyKey.objects.get(scope=scope, key=key)
            if stored.request_fingerprint != fingerprint:
                raise IdempotencyKeyReused(details={"Idempotency-Key": ["Already used with a different body."]}) from None
            return Outcome(status=stored.response_status or 409, body=stored.response_body, replayed=True)
        outcome = run()
        record.response_status = outcome.status
        record.response_body = outcome.body
        record.save(update_fields=["response_status", "response_body"])
    return outcome


def outcome_response(outcome: Outcome) -> Response:
    """The API's answer for ``outcome``; a replayed one says so in a header."""
    response = Response(outcome.body, status=outcome.status)
    if outcome.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def idempotency_keys_purge(*, now: dt.datetime | None = None) -> int:
    """Delete keys older than their lifetime; returns how many went."""
    now = now or timezone.now()
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=now - KEY_LIFETIME).delete()
    return deleted
