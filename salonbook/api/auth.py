"""``POST /api/auth/token/``: staff trade a username and password for an API token."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from salonbook.api.base import ApiView
from salonbook.api.schema import errors


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=1024, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as 'Authorization: Token <token>'")


class AuthTokenView(ApiView):
    # No session or token needed to log in, and no CSRF check on this form-less POST.
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_token_create",
        summary="Get an API token for a staff or admin login",
        tags=["auth"],
        auth=[],
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, **errors(400)},
        examples=[
            OpenApiExample("Log in", request_only=True, value={"username": "staff", "password": "salonbook-demo"}),
            OpenApiExample("Token", response_only=True, value={"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}),
        ],
    )
    def post(self, request):
        body = TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = authenticate(request=request._request, **body.validated_data)
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to log in with that username and password."]}
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
