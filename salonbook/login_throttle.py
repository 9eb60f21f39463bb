"""Login throttling with django-axes: the client's address, the time left in
a cool-off, and the answer a locked-out login gets.

Every login (staff pages, admin, ``POST /api/auth/token/``) goes through
``django.contrib.auth.authenticate``, where axes' backend refuses a locked
account or address before any password is checked, so a correct password
during the cool-off is refused too. Failures are counted in the database
(axes' database handler), so every worker sees the same counts.

Two counts lock, each on its own (``AXES_LOCKOUT_PARAMETERS``): the failures
for one username from any address, and the failures from one address for any
username. Other accounts from other addresses are unaffected.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import timedelta
from typing import Any

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from rest_framework import exceptions, status

LOCKED_MESSAGE = "Too many failed logins for this account or from this address. Try again in {wait}."


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, read the way the API's rate limits read it.

    Behind a proxy we trust (``TRUSTED_PROXY``), the last ``X-Forwarded-For``
    entry, the one our own proxy appended (earlier ones come from the client
    and can be forged); otherwise ``REMOTE_ADDR``. The same rule as
    ``salonbook.ratelimit.client_ip``: a login guessed from one address is
    one client for both. None when that is not an address at all (axes stores
    addresses in an IP column): such clients share one count.
    """
    address = request.META.get("REMOTE_ADDR")
    if settings.TRUSTED_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            address = hops[-1]
    try:
        return str(ipaddress.ip_address(address or ""))
    except ValueError:
        return None


def seconds_locked(request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
    """Seconds until this login may be tried again; 0 when it is not locked.

    A count stops locking once its failures are older than the cool-off, so
    the last failure of a locked count plus the cool-off is when it frees.
    """
    cool_off = get_cool_off(request) or timedelta(0)
    now = timezone.now()
    username = get_client_username(request, credentials)
    limit = get_failure_limit(request, credentials)
    recent = AccessAttempt.objects.filter(attempt_time__gte=now - cool_off)
    left = timedelta(0)
    for count in (recent.filter(username=username), recent.filter(ip_address=client_ip(request))):
        failures = count.aggregate(total=Sum("failures_since_start"), last=Max("attempt_time"))
        if (failures["total"] or 0) >= limit:
            left = max(left, failures["last"] + cool_off - now)
    return math.ceil(left.total_seconds())


def wait_in_words(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


class LoginLocked(exceptions.APIException):
    """The API's answer during a cool-off: 429 ``login_locked`` with ``Retry-After``
    (the API's exception handler turns ``wait`` into the header and the details)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "login_locked"

    def __init__(self, *, retry_after: int) -> None:
        super().__init__(LOCKED_MESSAGE.format(wait=wait_in_words(retry_after)))
        self.wait = retry_after


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: what a locked-out login sees.

    The API's token view has already answered in the error envelope. The login
    pages (staff and admin) are shown again with the form's error replaced by
    when to try again, as 429.
    """
    if original_response is not None and request.path.startswith("/api/"):
        return original_response
    retry_after = max(1, seconds_locked(request, credentials))
    message = LOCKED_MESSAGE.format(wait=wait_in_words(retry_after))
    context = getattr(original_response, "context_data", None) or {}
    form = context.get("form")
    response: HttpResponse
    if isinstance(original_response, TemplateResponse) and form is not None:
        form.errors.clear()
        form.add_error(None, ValidationError(message, code="login_locked"))
        response = TemplateResponse(request, original_response.template_name, context, status=429)
        response.render()  # a middleware's response is not rendered for it
    else:
        response = HttpResponse(message, content_type="text/plain; charset=utf-8", status=429)
    response["Retry-After"] = str(retry_after)
    return response
