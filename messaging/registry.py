"""What the outbox asks the apps whose messages it sends, registered at start-up.

The outbox knows no other app. An app that writes messages about its own
subjects (``messaging.subjects``) registers, from its ``AppConfig.ready()``,
what only it can answer::

    subject_register("booking", SubjectHandler(describe=..., untrue=...))
    replies_register(handle_reply)

- ``describe(message)``: the language and the words' context of a message
  about one of its subjects, read as the subject is now (at send time).
- ``untrue(messages)``: of these messages about its subjects, the ones that
  are no longer true and must not go out (a confirmation of a booking
  cancelled before it was sent), each with the reason. Asked by the
  dispatcher before it claims due messages and by the send task just before
  it calls the provider.
- ``handle_reply(reply, answered, now)``: what a customer's reply means; it
  may act (a CANCEL cancels a booking through the booking's own service)
  and says what the reply was about and what came of it.

One handler per subject kind and one reply handler: registering twice is a
programming error and raises, so two apps cannot silently decide the same thing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

from messaging.subjects import Subject
from messaging.webhook import Reply

if TYPE_CHECKING:
    from messaging.models import Message


@dataclass(frozen=True)
class Description:
    """How to word a message: the language of its text and what it may say."""

    language: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReplyResult:
    """What a reply was about (a subject key, "" when nothing) and what came of it."""

    subject: str = ""
    salon_id: int | None = None
    outcome: str = "stored"


def _nothing_untrue(messages: Sequence[Message]) -> dict[int, str]:
    return {}


@dataclass(frozen=True)
class SubjectHandler:
    describe: Callable[[Message], Description]
    untrue: Callable[[Sequence[Message]], dict[int, str]] = _nothing_untrue


ReplyHandler = Callable[[Reply, "Message | None", dt.datetime], ReplyResult]

_subjects: dict[str, SubjectHandler] = {}
_reply_handler: list[ReplyHandler] = []


def subject_register(kind: str, handler: SubjectHandler) -> None:
    if kind in _subjects and _subjects[kind] is not handler:
        raise ImproperlyConfigured(f"messages about {kind!r} already have a handler")
    _subjects[kind] = handler


def replies_register(handler: ReplyHandler) -> None:
    if _reply_handler and _reply_handler[0] is not handler:
        raise ImproperlyConfigured("replies already have a handler")
    _reply_handler[:] = [handler]


def subject_handler(subject: str) -> SubjectHandler | None:
    parsed = Subject.parse(subject)
    return _subjects.get(parsed.kind) if parsed is not None else None


def untrue_messages(messages: Sequence[Message]) -> dict[int, str]:
    """Of ``messages``, those their subject's app says are no longer true, with why."""
    by_kind: dict[str, list[Message]] = {}
    for message in messages:
        parsed = Subject.parse(message.subject)
        if parsed is not None and parsed.kind in _subjects:
            by_kind.setdefault(parsed.kind, []).append(message)
    untrue: dict[int, str] = {}
    for kind, about in by_kind.items():
        untrue.update(_subjects[kind].untrue(about))
    return untrue


def reply_handle(reply: Reply, answered: Message | None, now: dt.datetime) -> ReplyResult:
    """What the registered handler makes of ``reply``; without one it is only stored."""
    if not _reply_handler:
        return ReplyResult(subject=answered.subject if answered is not None else "")
    return _reply_handler[0](reply, answered, now)
