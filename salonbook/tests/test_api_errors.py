import logging

import pytest
from rest_framework.test import APIClient

from salonbook import errors
from salonbook.tests.helpers import error_of

pytestmark = [pytest.mark.django_db, pytest.mark.urls("salonbook.tests.urls_errors")]


def test_an_unhandled_exception_is_a_500_envelope_with_no_trace_and_is_logged(caplog):
    client = APIClient()
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="salonbook.api"):
        response = client.get("/api/raise/runtime/")
    error = error_of(response, 500, "server_error")
    assert error["details"] == {}
    assert b"secret" not in response.content and b"Traceback" not in response.content
    record = next(r for r in caplog.records if r.name == "salonbook.api")
    # The trace goes to the log (the log filters may have formatted it already).
    assert (record.exc_info and record.exc_info[0] is RuntimeError) or "RuntimeError" in (record.exc_text or "")


@pytest.mark.parametrize("error_class", errors.DomainError.__subclasses__(), ids=lambda c: c.__name__)
def test_every_domain_error_keeps_its_code_status_and_details(error_class):
    error = error_of(APIClient().get(f"/api/raise/{error_class.__name__}/"), error_class.status, error_class.code)
    assert error["message"] == error_class.default_message
    assert error["details"] == {"field": ["why"]}


def test_the_stable_codes_and_statuses_of_the_domain_errors():
    assert (errors.SlotUnavailable.code, errors.SlotUnavailable.status) == ("slot_unavailable", 409)
    assert (errors.InvalidTransition.code, errors.InvalidTransition.status) == ("invalid_transition", 409)
    assert errors.OutsideBookingWindow.code == "outside_booking_window"
    assert errors.CancellationClosed.code == "cancellation_closed"


def test_djangos_permission_denied_is_a_403():
    error_of(APIClient().get("/api/raise/permission/"), 403, "permission_denied")


def test_djangos_http404_is_a_404():
    error_of(APIClient().get("/api/raise/http404/"), 404, "not_found")


def test_django_ratelimits_exception_is_a_429_not_a_403():
    response = APIClient().get("/api/raise/ratelimited/")
    error = error_of(response, 429, "rate_limited")
    assert response["Retry-After"] == "60" and error["details"]["retry_after"] == 60


def test_drf_throttling_is_a_429_with_retry_after():
    response = APIClient().get("/api/raise/throttled/")
    error_of(response, 429, "rate_limited")
    assert response["Retry-After"] == "17"


def test_an_unknown_api_route_is_a_404_envelope_and_other_pages_stay_html():
    error_of(APIClient().get("/api/no/such/route/"), 404, "not_found")
    page = APIClient().get("/no/such/page/")
    assert page.status_code == 404 and not page["Content-Type"].startswith("application/json")


def test_wrong_method_is_a_405_envelope_with_allow():
    response = APIClient().delete("/api/fine/")
    error_of(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_a_body_that_is_not_json_is_a_415_envelope():
    error_of(APIClient().post("/api/bookings/", "a=1", content_type="application/x-www-form-urlencoded"), 415, "unsupported_media_type")


def test_an_accept_header_we_cannot_serve_is_a_406_envelope():
    error_of(APIClient().get("/api/fine/", HTTP_ACCEPT="text/csv"), 406, "not_acceptable")


def test_a_bad_token_is_a_401_envelope():
    response = APIClient().get("/api/salons/", HTTP_AUTHORIZATION="Token not-a-real-token")
    error_of(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == "Token"
