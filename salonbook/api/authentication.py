"""How API requests authenticate: a staff member's token, or the session of
the staff pages (and the API docs opened from them)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from rest_framework.authentication import SessionAuthentication


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>``: a token from ``POST /api/auth/token/``.

    django-rest-knox: the database keeps a digest of each token, never the
    token; a token expires after ``API_TOKEN_TTL_DAYS``; a user has one per
    device, each revocable. ``request.auth`` is the token's row."""

    def _cleanup_token(self, auth_token) -> bool:
        """True (and the row deleted) when this token has expired.

        Knox also deletes the user's other expired tokens here: one more query
        on every authenticated request. They are deleted at login instead
        (``api_token_issue``), so a token costs one query.
        """
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


class SessionCookieAuthentication(SessionAuthentication):
    """DRF's session authentication, skipped outright for a request with no
    session cookie: there is no session to load, and the customers' phones,
    which make every anonymous read, never send one."""

    def authenticate(self, request):
        if settings.SESSION_COOKIE_NAME not in request._request.COOKIES:
            return None
        return super().authenticate(request)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The API docs describe the token under the name clients already know."""

    target_class = "salonbook.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")


class SessionCookieScheme(SessionScheme):
    """The API docs describe it as DRF's session authentication."""

    target_class = "salonbook.api.authentication.SessionCookieAuthentication"
