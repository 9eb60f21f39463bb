"""One submit, one result: the one-time key of every staff form that creates
something (a desk booking or standing appointment, a closure, a staff member,
a service, a day off, a waitlist entry).

The page renders a hidden ``form_key`` with a fresh random key
(``{% form_key %}`` from ``bookings/templatetags/form_keys.py``). The POST
claims that key in the same transaction as the create, through the API's
``Idempotency-Key`` machinery (``bookings.idempotency``: a row with a unique
scope + key, so the database decides between two submits at once). A double
click or a resent POST therefore creates one thing: the second submit waits
for the first to commit and is sent where the first went, with "Already
saved.". A create that fails rolls its claim back with it, so the corrected
form can be sent again.

Each render carries a new key, so a form shown again with its errors is a new
attempt. A key sent back with other details (the page reopened with the
browser's Back button, changed and saved) is refused with a form error rather
than answered with the first result the owner did not ask for.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect

from bookings.idempotency import IdempotencyKeyReused, Outcome, idempotent, request_fingerprint
from salonbook.errors import InvalidInput
from salons.models import Salon

FIELD = "form_key"
ALREADY_SAVED = "Already saved."
# What ``new_form_key`` makes (32 URL-safe characters), with room to change it.
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")
# Fields that differ between two sends of one rendered form, or are the key itself.
_NOT_DETAILS = {FIELD, "csrfmiddlewaretoken"}


class FormAlreadySaved(InvalidInput):
    default_message = "This form was already saved with other details. Check them and save again."


@dataclass(frozen=True)
class Created:
    """Where a create form sends the owner afterwards, and what it tells them."""

    redirect_to: str
    message: str


def new_form_key() -> str:
    return secrets.token_urlsafe(24)


def form_create_once(*, form: str, salon: Salon, data: QueryDict, create: Callable[[], Created]) -> Created:
    """Run ``create`` (a service call that returns where to go next) once per
    form key: a second submit with the same key and details gets the first
    one's ``redirect_to`` and "Already saved.", never a second row.

    ``form`` names the form; with the salon it scopes the key. Errors raised
    by ``create`` roll back the claim and reach the caller unchanged. Raises
    ``InvalidInput`` for a key the page cannot have sent and
    ``FormAlreadySaved`` for a used key sent with other details.
    """
    key = data.get(FIELD, "")
    if not key:
        # A page rendered before forms carried a key (a tab left open over an
        # update) saves as it always did: refusing would make the owner type
        # it all again for a form that did nothing wrong. Only that one
        # submit goes without the double-click guard.
        return create()
    if not _KEY_SHAPE.fullmatch(key):
        unreadable = "This form could not be checked. Please save it again."
        raise InvalidInput(unreadable, details={FIELD: [unreadable]})
    details = {name: data.getlist(name) for name in data if name not in _NOT_DETAILS}
    first: list[Created] = []

    def run() -> Outcome:
        first.append(create())
        return Outcome(status=303, body={"redirect_to": first[0].redirect_to})

    try:
        outcome = idempotent(
            key=key, scope=f"form:{form}:{salon.pk}", fingerprint=request_fingerprint(details), run=run
        )
    except IdempotencyKeyReused:
        raise FormAlreadySaved() from None
    if outcome.replayed:
        return Created(redirect_to=outcome.body["redirect_to"], message=ALREADY_SAVED)
    return first[0]


def created_redirect(request: HttpRequest, created: Created) -> HttpResponse:
    """The answer to a saved create form: its message, then where it leads."""
    messages.success(request, created.message)
    return redirect(created.redirect_to)
