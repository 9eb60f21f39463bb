import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from salonbook.tests.helpers import error_of

pytestmark = pytest.mark.django_db


def test_staff_trade_username_and_password_for_a_token_that_works(staff_of_salon, booking_for_staff):
    response = APIClient().post("/api/auth/token/", {"username": "staff-here", "password": "pass-word-123"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert AuthToken.objects.get(user=staff_of_salon).token_key == token[:15]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(f"/api/bookings/{booking_for_staff.reference}/").status_code == 200


@pytest.fixture
def booking_for_staff(service, staff_member):
    from bookings.tests.factories import make_booking, next_local

    return make_booking(service=service, staff_member=staff_member, start=next_local(service.salon))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "username"),
        ({"username": "staff-here"}, "password"),
        ({"username": "staff-here", "password": "wrong"}, "non_field_errors"),
        ({"username": "nobody", "password": "pass-word-123"}, "non_field_errors"),
        ({"username": "x" * 151, "password": "p"}, "username"),
    ],
)
def test_bad_logins_are_400_with_details(staff_of_salon, body, field):
    error = error_of(APIClient().post("/api/auth/token/", body, format="json"), 400, "invalid")
    assert field in error["details"]
    assert not AuthToken.objects.exists()


def test_an_inactive_user_gets_no_token(staff_of_salon):
    staff_of_salon.is_active = False
    staff_of_salon.save()
    error_of(APIClient().post("/api/auth/token/", {"username": "staff-here", "password": "pass-word-123"}, format="json"), 400)
