"""OpenAPI pieces shared by every endpoint: the error envelope, its examples,
and a hook that documents the errors any endpoint can give."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. slot_unavailable")
    message = serializers.CharField(help_text="A sentence to show the user")
    details = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Field errors by field name, the allowed moves of an invalid transition, and so on",
    )


class ErrorEnvelopeSerializer(serializers.Serializer):
    error = ErrorSerializer()


def _example(name: str, code: str, message: str, details: dict | None = None) -> OpenApiExample:
    return OpenApiExample(name, value={"error": {"code": code, "message": message, "details": details or {}}})


ERROR_EXAMPLES: dict[int, tuple[str, list[OpenApiExample]]] = {
    400: (
        "Invalid input: field errors in details, by field name; or a body that is not JSON",
        [
            _example(
                "Field errors",
                "invalid",
                "Some fields are not valid.",
                {"customer_phone": ["Enter a valid phone number, e.g. +447911123456."]},
            ),
            _example("Malformed JSON", "malformed_request", "The request body could not be read as JSON."),
            _example(
                "Outside booking window",
                "outside_booking_window",
                "Demo Salon takes bookings up to 60 days ahead.",
                {"start": ["Choose a time within 60 days."]},
            ),
            _example(
                "Too soon",
                "minimum_notice",
                "Demo Salon takes bookings at least 60 minutes ahead.",
                {"start": ["Choose a time at least 60 minutes from now."]},
            ),
        ],
    ),
    401: (
        "Not logged in: send 'Authorization: Token <token>' or a session cookie",
        [_example("Not logged in", "not_authenticated", "Log in, or send 'Authorization: Token <token>'.")],
    ),
    403: (
        "Logged in, but not allowed",
        [_example("Not staff", "permission_denied", "Only salon staff can do this.")],
    ),
    404: (
        "Not found (also: a booking with a wrong or missing X-Booking-Token, or another salon's booking)",
        [_example("Not found", "not_found", "Not found.")],
    ),
    405: ("Method not allowed", [_example("Wrong method", "method_not_allowed", 'Method "PUT" not allowed.')]),
    406: (
        "Only application/json can be returned",
        [_example("Not acceptable", "not_acceptable", "Could not satisfy the request Accept header.")],
    ),
    409: (
        "Conflict: the time was taken, the phone already has a booking then, or the status does not allow that change",
        [
            _example("Slot taken", "slot_unavailable", "That time is no longer available."),
            _example(
                "Already booked",
                "already_booked",
                "This phone already has a booking at that time.",
                {"customer_phone": ["This phone already has a booking at that time."]},
            ),
            _example(
                "Invalid transition",
                "invalid_transition",
                "A cancelled booking cannot confirm.",
                {"status": "cancelled", "allowed": []},
            ),
            _example(
                "Cancellation closed",
                "cancellation_closed",
                "Online cancellation closes 24 hours before the appointment; please contact Demo Salon.",
                {"cancellable_until": "2030-05-01T10:00:00+01:00"},
            ),
        ],
    ),
    415: (
        "Send the body as application/json",
        [_example("Wrong content type", "unsupported_media_type", 'Unsupported media type "text/plain" in request.')],
    ),
    422: (
        "The Idempotency-Key was already used with another body",
        [
            _example(
                "Key reused",
                "idempotency_key_reused",
                "This Idempotency-Key was already used with a different request.",
            )
        ],
    ),
    429: (
        "Too many requests: wait for the number of seconds in the Retry-After header",
        [
            _example(
                "Rate limited",
                "rate_limited",
                "Too many requests; try again in 42 seconds.",
                {"retry_after": 42, "scope": "api"},
            )
        ],
    ),
    500: (
        "Unexpected error; logged on our side, no details given",
        [_example("Server error", "server_error", "Something went wrong on our side; it has been logged.")],
    ),
    503: (
        "A dependency is briefly unavailable",
        [
            _example(
                "Unavailable", "rate_limit_unavailable", "The service is briefly unavailable; please try again shortly."
            )
        ],
    ),
}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """The error responses of an endpoint, for ``extend_schema(responses=...)``."""
    return {
        status: OpenApiResponse(
            ErrorEnvelopeSerializer, description=ERROR_EXAMPLES[status][0], examples=ERROR_EXAMPLES[status][1]
        )
        for status in statuses
    }


BOOKING_TOKEN_HEADER = OpenApiParameter(
    "X-Booking-Token",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="The booking's manage_token, given when it was created. Customers need it; staff do not.",
)

# Errors any endpoint can answer with, whatever it does.
_EVERYWHERE = (406, 429, 500)
_WITH_BODY = (400, 415)


def _response_for(status: int) -> dict[str, Any]:
    description, examples = ERROR_EXAMPLES[status]
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/ErrorEnvelope"},
                "examples": {
                    example.name.replace(" ", ""): {"value": example.value, "summary": example.name}
                    for example in examples
                },
            }
        },
    }


def add_common_errors(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every API operation documents the
    errors any request can meet (rate limits, content negotiation, malformed
    bodies), in the one envelope."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorEnvelope" not in schemas:
        return result
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            wanted = _EVERYWHERE + (_WITH_BODY if "requestBody" in operation else ())
            for status in wanted:
                responses.setdefault(str(status), _response_for(status))
            if "429" in responses:
                responses["429"].setdefault("headers", {})["Retry-After"] = {
                    "schema": {"type": "integer"},
                    "description": "Seconds to wait before trying again",
                }
    return result
