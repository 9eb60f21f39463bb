"""The admins' metrics page: admins only, charts from the project's own static files."""

import json
import re

import pytest
from django.urls import reverse

from bookings.tests.factories import make_booking, next_local
from monitoring.metrics.recording import record_event, record_request
from monitoring.metrics.store import reset_store

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_metrics(settings):
    """Counts of this test only, kept in this process."""
    settings.METRICS_REDIS_URL = None
    reset_store()
    yield
    reset_store()


def chart_data(body: str) -> dict:
    match = re.search(r'<script id="metrics-data" type="application/json">(.*?)</script>', body, re.S)
    assert match is not None, "the page has no chart data"
    return json.loads(match.group(1))


def test_stranger_gets_the_login_page(client):
    response = client.get(reverse("staff:metrics"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("staff:login"))


def test_staff_get_403(client, staff_of_salon):
    client.force_login(staff_of_salon)
    assert client.get(reverse("staff:metrics")).status_code == 403


def test_admin_sees_health_rates_and_chart_data(client, admin_user, service, staff_member):
    make_booking(service=service, staff_member=staff_member, start=next_local(service.salon))
    record_request(method="GET", route="/api/salons/<slug>/", status=200, seconds=0.004)
    record_request(method="GET", route="/api/salons/<slug>/", status=200, seconds=0.2)
    record_event("cache_hit", "availability")
    record_event("cache_miss", "availability")
    record_event("message", "booking_confirmed/sent")
    client.force_login(admin_user)

    response = client.get(reverse("staff:metrics"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Health" in body and "Database" in body
    assert "Cache hit ratio" in body and "50%" in body
    data = chart_data(body)
    assert sum(sum(series["data"]) for series in data["bookings"]["series"]) == 1
    assert data["latency"]["labels"] == ["GET /api/salons/<slug>/"]
    assert data["cache"] == {"hits": 1, "misses": 1}
    assert data["messages"]["sent"] == 1
    assert "/static/vendor/chartjs/chart-4.6.1.umd.min.js" in body
    # Nothing loaded from another host (a CDN): every script and stylesheet is ours.
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["']?(https?:)?//""", body, re.IGNORECASE)


def test_django_admin_links_to_the_metrics_page(client, admin_user):
    client.force_login(admin_user)
    body = client.get(reverse("admin:index")).content.decode()
    assert reverse("staff:metrics") in body
