"""/api/metrics: admins only, JSON by default, Prometheus text that a scraper parses."""

from __future__ import annotations

import pytest
from knox.models import AuthToken
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from salons.tests.factories import UserFactory

pytestmark = [pytest.mark.urls("monitoring.tests.urls"), pytest.mark.django_db]

# What Prometheus 2.x/3.x sends when it scrapes.
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,"
    "text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
)


def families(text: str) -> dict:
    return {family.name: family for family in text_string_to_metric_families(text)}


def test_anonymous_gets_401_with_a_challenge(client):
    response = client.get("/api/metrics")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_salon_staff_get_403(staff_of_salon):
    client = APIClient()
    client.force_authenticate(staff_of_salon)

    assert client.get("/api/metrics").status_code == 403


def test_admin_site_staff_who_are_not_superusers_get_403(db):
    client = APIClient()
    client.force_authenticate(UserFactory(username="helpdesk", is_staff=True, is_superuser=False))

    assert client.get("/api/metrics").status_code == 403
    assert client.get("/api/metrics?format=prometheus").status_code == 403


def test_admin_with_a_token_gets_json(db, client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    _, token = AuthToken.objects.create(user=admin)
    client.get("/items/1/")

    response = client.get("/api/metrics", HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["requests"]["by_route"]["GET /items/<int:pk>/"]["by_status"] == {"200": 1}
    assert body["latency"]["GET /items/<int:pk>/"]["p99_ms"] is not None


def test_admin_session_can_read_metrics_too(admin_client):
    assert admin_client.get("/api/metrics").status_code == 200


@pytest.mark.parametrize(
    "query, accept",
    [("?format=prometheus", "application/json"), ("", "text/plain"), ("", PROMETHEUS_ACCEPT)],
    ids=["format-param", "accept-text-plain", "prometheus-scrape"],
)
def test_prometheus_text_parses_and_agrees_with_json(admin_api, client, query, accept):
    for pk in (1, 2):
        client.get(f"/items/{pk}/")
    client.get("/nowhere/")

    response = admin_api.get(f"/api/metrics{query}", HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    parsed = families(response.content.decode())
    requests = {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for s in parsed["salonbook_http_requests"].samples
        if s.name == "salonbook_http_requests_total"
    }
    assert requests[("GET", "/items/<int:pk>/", "200")] == 2
    assert requests[("GET", "<unmatched>", "404")] == 1
    histogram = parsed["salonbook_http_request_duration_seconds"]
    assert histogram.type == "histogram"
    route_samples = [s for s in histogram.samples if s.labels.get("route") == "/items/<int:pk>/"]
    count = next(s.value for s in route_samples if s.name.endswith("_count"))
    infinite = next(s.value for s in route_samples if s.name.endswith("_bucket") and s.labels["le"] == "+Inf")
    assert count == infinite == 2
    for name in (
        "salonbook_booking_events", "salonbook_cache_reads", "salonbook_rate_limited", "salonbook_messages",
        "salonbook_whatsapp_breaker_state", "salonbook_event_receiver_failures", "salonbook_metrics_shared",
    ):
        assert name in parsed


def test_refused_prometheus_scrape_is_plain_text_not_metrics(client):
    response = client.get("/api/metrics", HTTP_ACCEPT="text/plain")

    assert response.status_code == 401
    assert "salonbook_" not in response.content.decode()


def test_unknown_format_is_refused_not_a_server_error(admin_api):
    assert admin_api.get("/api/metrics?format=yaml").status_code == 404
