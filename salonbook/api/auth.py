"""``/api/auth/``: staff trade a username and password for an API token, and
end one token (this device) or all of theirs (every device).

Logins are throttled by django-axes (``salonbook.login_throttle``): during a
cool-off the answer is 429 ``login_locked`` with ``Retry-After``, whatever
the password.
"""

from __future__ import annotations

from django.contrib.auth import authenticate, user_logged_in
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from salonbook.api.authentication import ApiTokenAuthentication
from salonbook.api.base import ApiView
from salonbook.api.schema import errors
from salonbook.api_tokens import api_token_issue, api_token_revoke, api_tokens_revoke_all
from salonbook.login_throttle import LoginLocked, seconds_locked


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=1024, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as 'Authorization: Token <token>'")
    expires = serializers.DateTimeField(help_text="When the token stops working; log in again for a new one")


class AuthTokenView(ApiView):
    # No session or token needed to log in, and no CSRF check on this form-less POST.
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_token_create",
        summary="Get an API token for a staff or admin login",
        description=(
            "Each login issues a new token (one per device), valid for a number of days. "
            "Repeated failed logins for one account, or from one address, lock logins for a while: "
            "429 `login_locked` with `Retry-After`, even with the right password."
        ),
        tags=["auth"],
        auth=[],
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, **errors(400)},
        examples=[
            OpenApiExample("Log in", request_only=True, value={"username": "staff", "password": "salonbook-demo"}),
            OpenApiExample(
                "Token",
                response_only=True,
                value={
                    "token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b9944b09199c62bcf9418ad84",
                    "expires": "2030-01-31T09:00:00Z",
                },
            ),
        ],
    )
    def post(self, request):
        body = TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        django_request = request._request
        user = authenticate(request=django_request, **body.validated_data)
        if user is None:
            if getattr(django_request, "axes_locked_out", False):
                username = {"username": body.validated_data["username"]}
                raise LoginLocked(retry_after=max(1, seconds_locked(django_request, username)))
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to log in with that username and password."]}
            )
        # As a session login does: last_login, and axes logs the success.
        user_logged_in.send(sender=type(user), request=django_request, user=user)
        token, key = api_token_issue(user=user)
        return Response(TokenSerializer({"token": key, "expires": token.expiry}).data)


class LogoutView(ApiView):
    """Ends the token that made this request."""

    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_logout",
        summary="End this token (log this device out)",
        tags=["auth"],
        request=None,
        responses={204: None, **errors(401)},
    )
    def post(self, request):
        api_token_revoke(token=request.auth)
        return Response(status=204)


class LogoutAllView(ApiView):
    """Ends every token of the user (token or staff-page session)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_logout_all",
        summary="End every token of this user (log out everywhere)",
        tags=["auth"],
        request=None,
        responses={204: None, **errors(401, 403)},
    )
    def post(self, request):
        api_tokens_revoke_all(user=request.user)
        return Response(status=204)
