"""API tokens: issued at login, one per device, revoked one by one or all at once.

django-rest-knox keeps a digest (SHA-512) of each token and the token's first
15 characters to find it, never the whole token; the token string exists only
in the answer to the login. A token expires ``API_TOKEN_TTL_DAYS`` after it
was issued (``REST_KNOX["TOKEN_TTL"]``).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from knox.models import AuthToken


def api_token_issue(*, user: AbstractBaseUser) -> tuple[AuthToken, str]:
    """A new token for ``user``, next to any they have on other devices.

    Returns the stored row (its ``expiry``) and the token string, which is
    shown once and cannot be read back. The user's expired tokens are deleted
    here, not on every request.
    """
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    return AuthToken.objects.create(user=user)


def api_token_revoke(*, token: AuthToken) -> None:
    """End one token: the device that sent it is logged out."""
    token.delete()


def api_tokens_revoke_all(*, user: AbstractBaseUser) -> int:
    """End every token of ``user`` ("log out everywhere"); returns how many."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted
