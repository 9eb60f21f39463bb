"""The OpenAPI schema, the offline docs, and a schemathesis run against the schema."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bookings.tests.factories import make_booking, next_local

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("post", "/api/auth/token/"),
    ("get", "/api/salons/"),
    ("get", "/api/salons/{slug}/"),
    ("get", "/api/salons/{slug}/services/"),
    ("get", "/api/salons/{slug}/staff/"),
    ("get", "/api/salons/{slug}/availability/"),
    ("get", "/api/salons/{slug}/bookings/"),
    ("post", "/api/bookings/"),
    ("get", "/api/bookings/{reference}/"),
    ("post", "/api/bookings/{reference}/cancel/"),
    ("post", "/api/bookings/{reference}/reschedule/"),
    ("post", "/api/bookings/{reference}/confirm/"),
    ("post", "/api/bookings/{reference}/complete/"),
    ("post", "/api/bookings/{reference}/no-show/"),
    ("post", "/api/slots/{id}/block/"),
    ("post", "/api/slots/{id}/unblock/"),
    ("post", "/api/salons/{slug}/waitlist/"),
    ("get", "/api/waitlist/{reference}/"),
    ("post", "/api/waitlist/{reference}/leave/"),
    ("post", "/api/waitlist/{reference}/claim/"),
    ("post", "/api/waitlist/{reference}/decline/"),
}


def _schema() -> dict:
    response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_every_endpoint_is_in_the_schema_with_its_error_bodies_and_examples(db):
    schema = _schema()
    found = {(method, path) for path, ops in schema["paths"].items() for method in ops if method != "parameters"}
    assert OPERATIONS <= found
    for method, path in OPERATIONS:
        operation = schema["paths"][path][method]
        responses = operation["responses"]
        success = [code for code in responses if code.startswith("2")]
        assert success, (method, path)
        for code in ("429", "500"):
            assert responses[code]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorEnvelope")
        assert "Retry-After" in responses["429"]["headers"]
        errors = [code for code in responses if code[0] in "45"]
        for code in errors:
            assert responses[code]["content"]["application/json"]["examples"], (method, path, code)
        if "requestBody" in operation:
            assert "400" in responses and "415" in responses
    create = schema["paths"]["/api/bookings/"]["post"]
    assert {"201", "400", "409", "422"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert create["requestBody"]["content"]["application/json"]["examples"]
    assert "examples" in schema["paths"]["/api/salons/{slug}/availability/"]["get"]["responses"]["200"]["content"]["application/json"]


def test_docs_are_served_with_local_assets_only(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert "/api/schema/" in html


def test_the_docs_assets_exist_locally():
    from django.contrib.staticfiles import finders

    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css")


@pytest.fixture
def wsgi_app():
    """The real WSGI app, sharing the test's database transaction: like
    Django's test client, keep requests from closing the connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_response_off_the_schema(
    settings, wsgi_app, salon, service, staff_member, staff_of_salon, capsys
):
    """Every operation, positive and negative inputs, in-process over WSGI."""
    settings.RATELIMIT_ENABLE = False
    make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=2))
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        response_headers_conformance,
    ]
    operations, cases, failures, unsatisfiable = 0, 0, [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.lower(), operation.path) not in OPERATIONS:
            continue  # health and metrics are tested by monitoring
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis_settings(
                max_examples=25,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                nonlocal cases
                cases += 1
                try:
                    case.call_and_validate(checks=checks)
                except (Exception, FailureGroup) as error:  # collect every failure, not only the first
                    # run() is called within this iteration, so the loop variables are its own.
                    failures.append(f"{operation.method.upper()} {operation.path} [{mode.value}]: {error}"[:600])  # noqa: B023

            try:
                run()
            except Unsatisfiable:
                # Nothing to make invalid (no parameters, no body): no negative cases.
                assert mode is GenerationMode.NEGATIVE, operation.path
                unsatisfiable.append(f"{operation.method.upper()} {operation.path}")
    with capsys.disabled():
        print(f"\nschemathesis: {operations} operations, {cases} cases, {len(failures)} failures; "
              f"no negative cases possible for {unsatisfiable}")
    assert operations == len(OPERATIONS)
    assert not failures, "\n\n".join(failures[:10])
