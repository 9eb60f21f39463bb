"""Reads of the outbox for the apps whose messages it sends."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from messaging.models import InboundReply, Message


def failed_messages() -> QuerySet[Message]:
    """Messages that did not reach their person: our send gave up, or the
    provider reported them undelivered."""
    return Message.objects.filter(Q(status=Message.Status.FAILED) | Q(delivery_status=Message.Delivery.FAILED))


def messages_about(*, subject: str) -> QuerySet[Message]:
    """Every message written about ``subject``, oldest first."""
    return Message.objects.about(subject).order_by("created_at", "id")


def messages_by_subject(*, subjects: Iterable[str]) -> dict[str, list[Message]]:
    """The messages about each of ``subjects``, by due time: one query for many subjects."""
    found: dict[str, list[Message]] = {subject: [] for subject in subjects}
    for message in Message.objects.filter(subject__in=list(found)).order_by("due_at", "id"):
        found[message.subject].append(message)
    return found


def replies_about(*, subject: str) -> QuerySet[InboundReply]:
    return InboundReply.objects.filter(subject=subject).order_by("received_at", "id")
