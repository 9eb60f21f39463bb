"""Repeated failed logins lock the account and the address for a cool-off:
the API token login, the staff login page and the admin login alike."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import RequestFactory
from knox.models import AuthToken
from rest_framework.test import APIClient

from salonbook import ratelimit
from salonbook.login_throttle import client_ip
from salonbook.tests.helpers import error_of
from salons.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"  # the factories' password
LIMIT = 3
COOL_OFF = dt.timedelta(minutes=15)
# Documentation addresses (RFC 5737): each is its own client.
ATTACKER, OFFICE, ELSEWHERE = "203.0.113.7", "198.51.100.20", "192.0.2.33"


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = COOL_OFF


@pytest.fixture
def owner(db):
    return UserFactory(username="owner")


def api_login(username: str, password: str, address: str = OFFICE):
    return APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


def fail(times: int, *, username: str = "owner", address: str = ATTACKER) -> None:
    for _ in range(times):
        response = api_login(username, "wrong-guess", address)
        assert response.status_code in (400, 429), response.content


def age_attempts(by: dt.timedelta) -> None:
    """Move every recorded failure back in time: the clock moving on."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - by)


def test_the_defaults_are_ten_failures_and_fifteen_minutes():
    from salonbook import settings as defaults

    assert defaults.LOGIN_FAILURE_LIMIT == 10 and defaults.AXES_FAILURE_LIMIT == 10
    assert defaults.AXES_COOLOFF_TIME == dt.timedelta(minutes=15)
    assert defaults.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]


@pytest.mark.parametrize(
    "env, message",
    [
        ({"LOGIN_FAILURE_LIMIT": "0"}, "LOGIN_FAILURE_LIMIT must be at least 1"),
        ({"LOGIN_COOLOFF_MINUTES": "soon"}, "LOGIN_COOLOFF_MINUTES must be an integer"),
        ({"API_TOKEN_TTL_DAYS": "0"}, "API_TOKEN_TTL_DAYS must be at least 1"),
    ],
)
def test_bad_throttling_and_token_settings_stop_start_up(env, message):
    from salonbook.tests.test_configuration import _manage

    result = _manage("check", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_failures_below_the_limit_still_let_the_right_password_in(owner):
    fail(LIMIT - 1, address=OFFICE)
    assert api_login("owner", PASSWORD, OFFICE).status_code == 200


def test_the_failure_that_reaches_the_limit_is_answered_429(owner):
    fail(LIMIT - 1)
    error = error_of(api_login("owner", "wrong-guess", ATTACKER), 429, "login_locked")
    assert error["details"]["retry_after"] > 0


def test_during_the_cool_off_the_right_password_is_refused_with_429_and_retry_after(owner):
    fail(LIMIT)

    response = api_login("owner", PASSWORD, ATTACKER)

    error = error_of(response, 429, "login_locked")
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= COOL_OFF.total_seconds()
    assert error["details"] == {"retry_after": retry_after}
    assert "15 minutes" in error["message"]
    assert not AuthToken.objects.filter(user=owner).exists()


def test_one_account_guessed_from_many_addresses_locks_that_account_everywhere(owner):
    for n in range(LIMIT):
        fail(1, address=f"203.0.113.{n + 10}")

    error_of(api_login("owner", PASSWORD, OFFICE), 429, "login_locked")
    # Another account from that address is not locked.
    UserFactory(username="colleague")
    assert api_login("colleague", PASSWORD, OFFICE).status_code == 200


def test_one_address_guessing_many_accounts_is_locked_for_every_account(owner):
    for n in range(LIMIT):
        fail(1, username=f"guess-{n}", address=ATTACKER)

    error_of(api_login("owner", PASSWORD, ATTACKER), 429, "login_locked")
    # The owner from their own address is not locked.
    assert api_login("owner", PASSWORD, OFFICE).status_code == 200


def test_another_account_from_another_address_is_unaffected(owner):
    UserFactory(username="colleague")
    fail(LIMIT + 2)

    assert api_login("colleague", PASSWORD, ELSEWHERE).status_code == 200


def test_the_lock_lifts_once_the_cool_off_has_passed(owner):
    fail(LIMIT)
    error_of(api_login("owner", PASSWORD, ATTACKER), 429, "login_locked")

    age_attempts(COOL_OFF + dt.timedelta(seconds=1))

    response = api_login("owner", PASSWORD, ATTACKER)
    assert response.status_code == 200, response.content
    assert response.json()["token"]


def test_guesses_during_the_cool_off_neither_count_nor_extend_it(owner):
    fail(LIMIT)
    age_attempts(dt.timedelta(minutes=10))

    fail(5)  # refused without being recorded
    response = api_login("owner", PASSWORD, ATTACKER)

    assert 0 < int(response["Retry-After"]) <= 5 * 60
    age_attempts(dt.timedelta(minutes=5, seconds=1))
    assert api_login("owner", PASSWORD, ATTACKER).status_code == 200


def test_staff_login_page_locks_and_says_when_to_try_again(client, staff_of_salon):
    for _ in range(LIMIT):
        client.post("/staff/login/", {"username": "staff-here", "password": "wrong"}, REMOTE_ADDR=ATTACKER)

    response = client.post("/staff/login/", {"username": "staff-here", "password": PASSWORD}, REMOTE_ADDR=ATTACKER)

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= COOL_OFF.total_seconds()
    page = response.content.decode()
    assert "Too many failed logins" in page and "Try again in 15 minutes" in page
    assert 'name="username"' in page  # the form is there for later
    assert "_auth_user_id" not in client.session
    assert client.get("/staff/").status_code == 302


def test_admin_login_locks_too(client):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    for _ in range(LIMIT):
        client.post("/admin/login/", {"username": "root", "password": "wrong"}, REMOTE_ADDR=ATTACKER)

    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD}, REMOTE_ADDR=ATTACKER)

    assert response.status_code == 429
    assert "Try again in 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failures_on_the_staff_page_count_for_the_api_too(client, staff_of_salon):
    for _ in range(LIMIT):
        client.post("/staff/login/", {"username": "staff-here", "password": "wrong"}, REMOTE_ADDR=ATTACKER)

    error_of(api_login("staff-here", PASSWORD, OFFICE), 429, "login_locked")


def test_the_address_is_read_like_the_rate_limits_read_it(settings):
    factory = RequestFactory()
    forwarded = factory.post("/api/auth/token/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"1.2.3.4, {OFFICE}")

    settings.TRUSTED_PROXY = False
    assert client_ip(forwarded) == "127.0.0.1" == ratelimit.client_ip(forwarded)
    settings.TRUSTED_PROXY = True
    assert client_ip(forwarded) == OFFICE == ratelimit.client_ip(forwarded)


def test_a_request_without_an_address_is_counted_not_refused(owner):
    for _ in range(LIMIT):
        response = APIClient().post("/api/auth/token/", {"username": "owner", "password": "wrong"}, format="json", REMOTE_ADDR="")
    error_of(response, 429, "login_locked")
    assert AccessAttempt.objects.get().ip_address is None
    assert api_login("owner", PASSWORD, OFFICE).status_code == 429  # the account's count
    UserFactory(username="colleague")
    assert api_login("colleague", PASSWORD, OFFICE).status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_locked(settings, owner):
    settings.TRUSTED_PROXY = True
    for _ in range(LIMIT):
        APIClient().post(
            "/api/auth/token/",
            {"username": f"guess-{_}", "password": "wrong"},
            format="json",
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=ATTACKER,
        )

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    # The proxy's own address (every client's REMOTE_ADDR) is not locked.
    ok = APIClient().post(
        "/api/auth/token/",
        {"username": "owner", "password": PASSWORD},
        format="json",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR=OFFICE,
    )
    assert ok.status_code == 200


def test_logins_and_lockouts_are_logged_without_passwords_or_tokens(client, caplog, staff_of_salon):
    caplog.set_level(logging.INFO)
    secret_guess = "my-secret-guess-42"
    client.get("/staff/login/")
    csrf = client.cookies["csrftoken"].value
    client.post("/staff/login/", {"username": "staff-here", "password": PASSWORD})
    token = api_login("staff-here", PASSWORD).json()["token"]
    for _ in range(LIMIT):
        client.post("/staff/login/", {"username": secret_guess, "password": secret_guess, "csrfmiddlewaretoken": csrf})
    api_login("staff-here", PASSWORD, ATTACKER)

    logged = caplog.text
    assert "Successful login" in logged and "Locking out" in logged
    for secret in (PASSWORD, secret_guess, token, token[:15], csrf):
        assert secret not in logged
    stored = " ".join(f"{a.username} {a.get_data} {a.post_data}" for a in AccessAttempt.objects.all())
    assert secret_guess in stored  # the username typed, kept to count by account
    assert "password=" in stored and f"password={secret_guess}" not in stored
    assert csrf not in stored
