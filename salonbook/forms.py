"""Small helpers every app's forms share: typed model-choice fields, and a
service's error details placed next to the fields they name."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet


def choice_field(form: forms.Form, name: str) -> forms.ModelChoiceField:
    """The form's model-choice field ``name``, typed as one (its queryset is set per salon)."""
    return cast(forms.ModelChoiceField, form.fields[name])


def offered(form: forms.Form, name: str) -> QuerySet[Any]:
    """What the model-choice field ``name`` offers: the queryset each form sets in ``__init__``."""
    return cast(QuerySet[Any], choice_field(form, name).queryset)


def place_service_errors(form: forms.Form, details: dict[str, Any] | None) -> bool:
    """Put a service's per-field error details (a ``DomainError``'s, keyed
    like the form's fields) next to those fields; False when none fits."""
    placed = False
    for key, problems in (details or {}).items():
        if key not in form.fields:
            # The details name fields as the API does; a name this form
            # lacks is left to the caller's message.
            continue
        for problem in problems if isinstance(problems, list | tuple) else [problems]:
            form.add_error(key, str(problem))
        placed = True
    return placed
