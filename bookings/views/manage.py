"""The customer's own page for a booking."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def manage_booking(request: HttpRequest, reference: str) -> HttpResponse:
    """The customer's page behind the link in confirmations and reminders.

    The server never sees the manage token: it is in the link's fragment and
    the page sends it to the API itself, so this view only serves the shell.
    """
    return render(request, "manage/booking.html", {"reference": reference})
