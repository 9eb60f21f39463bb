"""The current request's id, for every log line written while serving it."""

from __future__ import annotations

import contextvars
import re
import uuid

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# What a proxy or client may hand us: a UUID, a trace id, a short token.
# Anything else (too long, spaces, quotes, newlines) is replaced, so a client
# can neither forge log lines nor blow up their size.
_WELL_FORMED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")


def accept_or_generate(candidate: str | None) -> str:
    if candidate and _WELL_FORMED.match(candidate):
        return candidate
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> contextvars.Token:
    return _request_id.set(value)


def clear_request_id(**kwargs: object) -> None:
    """``request_finished`` receiver: lines after the response carry no stale id."""
    _request_id.set(None)
