"""Helpers for the API tests: the error envelope, the people, a booking made over the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from knox.models import AuthToken
from rest_framework.test import APIClient

from salons.models import Salon, Service, StaffMember


def error_of(response, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert ``response`` is the error envelope with ``status`` (and ``code``); return its error."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    if code is not None:
        assert error["code"] == code, error
    return error


def client_for(user=None, *, token: bool = False, booking_token: str | None = None) -> APIClient:
    """An API client logged in as ``user`` (by token when asked), optionally
    carrying a customer's ``X-Booking-Token``."""
    client = APIClient()
    if user is not None:
        if token:
            _, key = AuthToken.objects.create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        else:
            client.force_authenticate(user)
    if booking_token is not None:
        client.defaults["HTTP_X_BOOKING_TOKEN"] = booking_token
    return client


def booking_body(
    *, salon: Salon, service: Service, staff_member: StaffMember, start: dt.datetime, **overrides: Any
) -> dict[str, Any]:
    return {
        "salon": salon.slug,
        "service": service.pk,
        "staff": staff_member.pk,
        "start": start.isoformat(),
        "customer_name": "Ana Silva",
        "customer_phone": "+447911123456",
        "customer_email": "ana@example.com",
        **overrides,
    }
