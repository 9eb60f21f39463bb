"""The WhatsApp Cloud API webhook's wire format: its signature and its body.

Meta signs each POST with ``X-Hub-Signature-256: sha256=<hex>``, the
HMAC-SHA256 of the raw body under the app secret. The body is::

    {"object": "whatsapp_business_account",
     "entry": [{"id": ..., "changes": [{"field": "messages", "value": {
         "metadata": {"display_phone_number": "15550001111", "phone_number_id": ...},
         "statuses": [{"id": "wamid...", "status": "sent|delivered|read|failed",
                       "timestamp": "1750857384", "recipient_id": "4479...",
                       "errors": [{"code": 131026, "title": "..."}]}],
         "messages": [{"from": "4479...", "id": "wamid...", "timestamp": "...",
                       "type": "text|button|interactive", "text": {"body": "CANCEL"},
                       "button": {"payload": "CANCEL", "text": "Cancel"},
                       "interactive": {"button_reply": {"id": "CANCEL", "title": "..."}},
                       "context": {"from": "...", "id": "wamid of our message"}}]}}]}]}

This module only reads: nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from salonbook.text import storable

# Text from the body is made storable here, per message: a NUL (which
# PostgreSQL refuses) or a lone surrogate (which no driver encodes) in one
# reply must not fail the batch, or the provider retries it for ever.
STATUSES = ("sent", "delivered", "read", "failed")


def signature_valid(raw_body: bytes, header: str | None, secret: str | None) -> bool:
    """Whether ``header`` is ``sha256=`` + HMAC-SHA256(raw body, secret), compared in constant time."""
    if not secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.removeprefix("sha256=").strip().lower().encode())


@dataclass(frozen=True)
class StatusUpdate:
    provider_message_id: str
    status: str
    at: dt.datetime
    error: str  # the provider's error code and title, for a failed one


@dataclass(frozen=True)
class Reply:
    provider_message_id: str
    from_phone: str  # E.164
    text: str
    button: str  # a button's payload, "" when typed
    context_id: str  # the provider id of the message it answers, "" without one
    at: dt.datetime
    business_phone: str  # the number it was sent to, digits


def _when(value: Any, default: dt.datetime) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return default


def _dicts(value: Any) -> Iterator[dict]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


def _error_text(status: dict) -> str:
    parts = []
    for error in _dicts(status.get("errors")):
        parts.append(" ".join(str(error[key]) for key in ("code", "title") if error.get(key) is not None))
    return "; ".join(part for part in parts if part)[:300]


def _digits(value: Any) -> str:
    return "".join(ch for ch in str(value) if ch in "0123456789")


def _values(payload: dict) -> Iterator[dict]:
    for entry in _dicts(payload.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if isinstance(value, dict):
                yield value


def status_updates(payload: dict, *, now: dt.datetime) -> list[StatusUpdate]:
    updates = []
    for value in _values(payload):
        for status in _dicts(value.get("statuses")):
            name, provider_id = status.get("status"), status.get("id")
            if name in STATUSES and isinstance(provider_id, str) and provider_id:
                updates.append(
                    StatusUpdate(
                        storable(provider_id)[:200],
                        name,
                        _when(status.get("timestamp"), now),
                        storable(_error_text(status)),
                    )
                )
    return updates


def replies(payload: dict, *, now: dt.datetime) -> list[Reply]:
    found = []
    for value in _values(payload):
        metadata = value["metadata"] if isinstance(value.get("metadata"), dict) else {}
        business = _digits(metadata.get("display_phone_number", ""))
        for message in _dicts(value.get("messages")):
            provider_id, sender = message.get("id"), _digits(message.get("from", ""))
            if not (isinstance(provider_id, str) and provider_id and sender):
                continue
            text = message.get("text", {}).get("body", "") if isinstance(message.get("text"), dict) else ""
            button = ""
            if isinstance(message.get("button"), dict):
                button = str(message["button"].get("payload") or message["button"].get("text") or "")
            interactive = message.get("interactive")
            if isinstance(interactive, dict) and isinstance(interactive.get("button_reply"), dict):
                button = str(interactive["button_reply"].get("id") or "")
            context = message["context"] if isinstance(message.get("context"), dict) else {}
            found.append(
                Reply(
                    provider_message_id=storable(provider_id)[:200],
                    from_phone=f"+{sender}"[:20],
                    text=storable(str(text))[:4096],
                    button=storable(button)[:200],
                    context_id=storable(str(context.get("id") or ""))[:200],
                    at=_when(message.get("timestamp"), now),
                    business_phone=business,
                )
            )
    return found
