"""The words of every message, rendered at send time from
``templates/messages/<language>/<kind>.txt`` (English when that language has
no template for it), and the same content as a WhatsApp template's parameters
(names and order are settings).

What a message may say comes from the app whose subject it is about
(``registry.SubjectHandler.describe``, read as the subject is now), then from
what the message was written with (its ``parameters``), which wins.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import select_template
from django.utils import translation

from messaging.kinds import Kind
from messaging.models import Message
from messaging.registry import Description, subject_handler

DEFAULT_LANGUAGE = "en"


def message_description(message: Message) -> Description:
    handler = subject_handler(message.subject)
    described = handler.describe(message) if handler is not None else Description(DEFAULT_LANGUAGE)
    context: dict[str, Any] = {"kind": message.kind, **described.context, **(message.parameters or {})}
    return Description(described.language, context)


def render_text(*, language: str, kind: str, context: dict[str, Any]) -> str:
    """The plain text of a ``kind`` message in ``language`` (English when
    that language has no template for it)."""
    name = Kind(kind).template_name
    template = select_template([f"messages/{language}/{name}.txt", f"messages/{DEFAULT_LANGUAGE}/{name}.txt"])
    with translation.override(language):
        return template.render(context).strip()


def message_text(message: Message, *, described: Description | None = None) -> str:
    """The message's words; ``described`` when its description was read already."""
    described = described or message_description(message)
    return render_text(language=described.language, kind=message.kind, context=described.context)


def whatsapp_template(
    message: Message, *, described: Description | None = None
) -> tuple[str | None, str, tuple[str, ...]]:
    """(template name or None for free text, its language code, its body parameters)."""
    kind = message.kind
    is_reminder = Kind(kind).is_reminder
    name = settings.WHATSAPP_TEMPLATES.get(kind)
    if name is None and is_reminder:
        name = settings.WHATSAPP_TEMPLATE or None
    described = described or message_description(message)
    language = settings.WHATSAPP_TEMPLATE_LANGUAGES.get(described.language, described.language)
    if name is None:
        return None, language, ()
    order = settings.WHATSAPP_TEMPLATE_PARAMETERS
    names = order.get(kind) or (order.get("reminder") if is_reminder else None) or order["default"]
    return name, language, tuple(str(described.context.get(field, "")) for field in names)
