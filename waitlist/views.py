"""The customer's claim page, behind the link in a waitlist offer."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def claim_page(request: HttpRequest, reference: str) -> HttpResponse:
    """Serve the page's shell only: the token is in the link's fragment, and
    the page sends it to the API itself, so the server never sees it here."""
    return render(request, "waitlist/claim.html", {"reference": reference})
