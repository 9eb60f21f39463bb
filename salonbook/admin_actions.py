"""What every admin action that moves objects through a service does alike."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages

from salonbook.errors import DomainError


def apply_to_each(
    modeladmin: Any,
    request: Any,
    objects: Iterable[Any],
    move: Callable[[Any], Any],
    *,
    noun: str,
    done: str,
    name: Callable[[Any], str],
) -> None:
    """Run ``move`` (a service call) on each selected object. The moves that
    went through make one success message ("3 slot(s) blocked."); each
    refusal a warning naming its object (``name``) and the domain's reason."""
    changed, refused = 0, []
    for obj in objects:
        try:
            move(obj)
            changed += 1
        except DomainError as error:
            refused.append(f"{name(obj)}: {error.message}")
    if changed:
        modeladmin.message_user(request, f"{changed} {noun}(s) {done}.", messages.SUCCESS)
    for line in refused:
        modeladmin.message_user(request, line, messages.WARNING)
