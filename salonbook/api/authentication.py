"""How API requests authenticate: a staff member's token, or the session of
the staff pages (and the API docs opened from them)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication


class SessionCookieAuthentication(SessionAuthentication):
    """DRF's session authentication, skipped outright for a request with no
    session cookie: there is no session to load, and the customers' phones,
    which make every anonymous read, never send one."""

    def authenticate(self, request):
        if settings.SESSION_COOKIE_NAME not in request._request.COOKIES:
            return None
        return super().authenticate(request)


class SessionCookieScheme(SessionScheme):
    """The API docs describe it as DRF's session authentication."""

    target_class = "salonbook.api.authentication.SessionCookieAuthentication"
