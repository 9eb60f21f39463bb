"""API tokens: stored as digests, expiring, one per device, revocable one by
one, all at once over the API, or from the staff pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from salonbook.tests.helpers import error_of

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"


def log_in(username: str = "staff-here") -> dict:
    response = APIClient().post("/api/auth/token/", {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def agenda_url(salon) -> str:
    return f"/api/salons/{salon.slug}/bookings/?date={timezone.localdate(timezone=salon.tz).isoformat()}"


def works(token: str, url: str) -> bool:
    status = with_token(token).get(url).status_code
    assert status in (200, 401), status
    return status == 200


def test_the_database_keeps_no_issued_token(staff_of_salon):
    tokens = [log_in()["token"] for _ in range(2)]

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuthToken._meta.db_table}")
        rows = cursor.fetchall()
    stored = " ".join(str(value) for row in rows for value in row)
    assert len(rows) == 2
    for token in tokens:
        assert len(token) == 64
        assert token not in stored


def test_a_token_expires_after_the_configured_days(staff_of_salon, agenda_url, settings):
    assert settings.API_TOKEN_TTL_DAYS == 30
    before = timezone.now()

    body = log_in()

    expires = dt.datetime.fromisoformat(body["expires"])
    assert before + dt.timedelta(days=30) <= expires <= timezone.now() + dt.timedelta(days=30)
    assert works(body["token"], agenda_url)

    AuthToken.objects.update(expiry=timezone.now() - dt.timedelta(seconds=1))
    error = error_of(with_token(body["token"]).get(agenda_url), 401, "authentication_failed")
    assert "Invalid token" in error["message"]
    assert not AuthToken.objects.exists()  # an expired token is removed when it is next seen


def test_a_token_costs_one_query_and_expired_ones_go_at_the_next_login(staff_of_salon, django_assert_num_queries):
    old = log_in()["token"]
    AuthToken.objects.update(expiry=timezone.now() - dt.timedelta(seconds=1))
    fresh = log_in()["token"]
    assert AuthToken.objects.get().token_key == fresh[:15]
    assert old != fresh

    from salonbook.api.authentication import ApiTokenAuthentication

    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {fresh}")
    with django_assert_num_queries(1):
        user, token = ApiTokenAuthentication().authenticate(request)
    assert user == staff_of_salon


def test_each_login_is_its_own_token_for_its_own_device(staff_of_salon, agenda_url):
    phone, laptop = log_in()["token"], log_in()["token"]

    assert phone != laptop
    assert AuthToken.objects.filter(user=staff_of_salon).count() == 2
    assert works(phone, agenda_url) and works(laptop, agenda_url)


def test_logout_ends_only_the_token_that_sent_it(staff_of_salon, agenda_url):
    phone, laptop = log_in()["token"], log_in()["token"]

    response = with_token(phone).post("/api/auth/logout/")

    assert response.status_code == 204
    assert not works(phone, agenda_url)
    assert works(laptop, agenda_url)


def test_logout_all_ends_every_token_of_the_user_and_no_one_elses(staff_of_salon, staff_of_other_salon, agenda_url):
    phone, laptop = log_in()["token"], log_in()["token"]
    stranger = log_in("staff-elsewhere")["token"]

    assert with_token(phone).post("/api/auth/logout-all/").status_code == 204

    assert not works(phone, agenda_url) and not works(laptop, agenda_url)
    assert AuthToken.objects.filter(user=staff_of_other_salon).count() == 1
    assert with_token(stranger).post("/api/auth/logout/").status_code == 204


def test_logout_without_a_token_is_401():
    error_of(APIClient().post("/api/auth/logout/"), 401, "not_authenticated")
    error_of(APIClient().post("/api/auth/logout-all/"), 401, "not_authenticated")
    error_of(with_token("0" * 64).post("/api/auth/logout/"), 401, "authentication_failed")


def test_clients_keep_sending_authorization_token(staff_of_salon, agenda_url):
    token = log_in()["token"]
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    assert works(token, agenda_url)
    assert bearer.get(agenda_url).status_code == 401


def test_an_inactive_users_token_is_refused(staff_of_salon, agenda_url):
    token = log_in()["token"]
    staff_of_salon.is_active = False
    staff_of_salon.save(update_fields=["is_active"])

    assert not works(token, agenda_url)


def test_log_out_everywhere_on_the_staff_pages_ends_every_token_and_the_session(
    client, staff_of_salon, salon, agenda_url
):
    phone = log_in()["token"]
    client.force_login(staff_of_salon)
    page = client.get(f"/staff/salons/{salon.slug}/").content.decode()
    assert 'action="/staff/logout-everywhere/"' in page

    response = client.post("/staff/logout-everywhere/", follow=True)

    assert response.redirect_chain[-1][0] == "/staff/login/"
    assert "logged out everywhere" in response.content.decode()
    assert not AuthToken.objects.exists()
    assert not works(phone, agenda_url)
    assert client.get("/staff/").status_code == 302


def test_log_out_everywhere_takes_a_post_with_the_csrf_token(staff_of_salon):
    log_in()
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_of_salon)

    assert client.get("/staff/logout-everywhere/").status_code == 405
    assert client.post("/staff/logout-everywhere/").status_code == 403
    assert AuthToken.objects.count() == 1
