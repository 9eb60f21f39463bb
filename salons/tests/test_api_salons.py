import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from salonbook.tests.helpers import client_for, error_of
from salons.tests.factories import SalonFactory, ServiceFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATELIMIT_ENABLE = False


def test_salon_list_is_paginated_and_public(db):
    for n in range(3):
        SalonFactory(name=f"Salon {n}")
    response = APIClient().get("/api/salons/?page_size=2")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert set(body["results"][0]) == {"slug", "name", "timezone", "address"}


def test_a_page_past_the_end_is_a_404_envelope(db):
    SalonFactory()
    error_of(APIClient().get("/api/salons/?page=9"), 404, "not_found")
    error_of(APIClient().get("/api/salons/?page=x"), 404, "not_found")


def test_business_info_has_rules_services_and_staff(salon, service, staff_member):
    ServiceFactory(salon=salon, name="Retired", is_active=False)
    StaffMemberFactory(salon=salon, name="Gone", is_active=False, hours=False)
    body = APIClient().get(f"/api/salons/{salon.slug}/").json()
    assert body["slug"] == salon.slug and body["timezone"] == "Europe/London"
    assert body["booking_rules"] == {
        "slot_minutes": 15,
        "booking_window_days": 30,
        "cancellation_cutoff_hours": 24,
        "auto_confirm": True,
        "minimum_notice_minutes": 0,
        "customers_book_series": False,
    }
    assert [s["name"] for s in body["services"]] == ["Cut"]
    assert body["staff"] == [{"id": staff_member.pk, "name": staff_member.name, "services": [service.pk]}]


def test_services_and_staff_lists(salon, service, staff_member):
    services = APIClient().get(f"/api/salons/{salon.slug}/services/").json()
    staff = APIClient().get(f"/api/salons/{salon.slug}/staff/").json()
    assert services["results"] == [
        {
            "id": service.pk,
            "name": "Cut",
            "duration_minutes": 30,
            "buffer_minutes": 0,
            "processing_after_minutes": 0,
            "processing_minutes": 0,
            "price": "30.00",
        }
    ]
    assert staff["count"] == 1 and staff["results"][0]["id"] == staff_member.pk


@pytest.mark.parametrize("suffix", ["", "services/", "staff/", "availability/?date=2030-01-01&service=1"])
def test_an_unknown_salon_is_404(db, suffix):
    error_of(APIClient().get(f"/api/salons/no-such-salon/{suffix}"), 404, "not_found")


@pytest.mark.parametrize("person", ["anonymous", "staff_here", "staff_elsewhere", "admin"])
def test_everyone_reads_business_info(salon, service, staff_of_salon, staff_of_other_salon, admin_user, person):
    client = {
        "anonymous": APIClient(),
        "staff_here": client_for(staff_of_salon, token=True),
        "staff_elsewhere": client_for(staff_of_other_salon),
        "admin": client_for(admin_user),
    }[person]
    for path in ("", "services/", "staff/"):
        assert client.get(f"/api/salons/{salon.slug}/{path}").status_code == 200


def _queries(path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert APIClient().get(path).status_code == 200
    return len(queries)


def test_salon_list_query_count_does_not_grow(db, django_assert_max_num_queries):
    SalonFactory()
    few = _queries("/api/salons/")
    for _ in range(20):
        SalonFactory()
    assert _queries("/api/salons/") == few
    with django_assert_max_num_queries(2):  # count + page
        APIClient().get("/api/salons/")


@pytest.mark.parametrize("path", ["", "services/", "staff/"])
def test_business_info_query_count_does_not_grow_and_a_cached_read_makes_none(
    salon, service, path, django_assert_max_num_queries
):
    from django.core.cache import caches

    StaffMemberFactory(salon=salon, services=[service], hours=False)
    first = _queries(f"/api/salons/{salon.slug}/{path}")
    for n in range(10):
        extra = ServiceFactory(salon=salon, name=f"Extra {n}")
        StaffMemberFactory(salon=salon, services=[service, extra], hours=False)
    caches["default"].clear()
    assert _queries(f"/api/salons/{salon.slug}/{path}") == first
    assert first <= 4  # salon, services, staff, their services
    with django_assert_max_num_queries(0):
        assert APIClient().get(f"/api/salons/{salon.slug}/{path}").status_code == 200
