"""Who gets into the staff pages: strangers, non-staff users, staff of this
salon, staff of another salon, and admins."""

import pytest
from django.urls import reverse

from salons.tests.factories import SalonFactory, UserFactory

pytestmark = pytest.mark.django_db


def agenda_url(salon):
    return reverse("staff:agenda", kwargs={"slug": salon.slug})


def test_stranger_is_sent_to_the_login_page(client, salon):
    response = client.get(agenda_url(salon))
    assert response.status_code == 302
    assert response.url.startswith(reverse("staff:login") + "?next=")


def test_login_page_has_a_labelled_form_with_csrf(client):
    response = client.get(reverse("staff:login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in body
    assert '<label for="id_username">' in body and '<label for="id_password">' in body


def test_staff_logs_in_and_lands_on_their_salons_agenda(client, salon, staff_of_salon):
    response = client.post(reverse("staff:login"), {"username": "staff-here", "password": "pass-word-123"})
    assert response.status_code == 302
    response = client.get(response.url)
    assert response.status_code == 302
    assert response.url == agenda_url(salon)
    assert client.get(response.url).status_code == 200


def test_user_without_a_staff_record_cannot_log_in(client, db):
    UserFactory(username="customer")
    response = client.post(reverse("staff:login"), {"username": "customer", "password": "pass-word-123"})
    assert response.status_code == 200
    assert "cannot use the staff pages" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_password_shows_the_form_again_with_an_error(client, staff_of_salon):
    response = client.post(reverse("staff:login"), {"username": "staff-here", "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_logged_in_non_staff_user_gets_the_login_page(client, salon):
    client.force_login(UserFactory(username="not-staff"))
    response = client.get(agenda_url(salon))
    assert response.status_code == 302
    assert response.url.startswith(reverse("staff:login"))


def test_staff_of_another_salon_get_the_answer_for_no_such_salon(client, salon, staff_of_other_salon):
    client.force_login(staff_of_other_salon)
    response = client.get(agenda_url(salon))
    unknown = client.get(reverse("staff:agenda", kwargs={"slug": "no-such-salon"}))
    assert response.status_code == unknown.status_code == 404
    assert salon.name not in response.content.decode()


def test_admin_picks_any_salon(client, admin_user, salon):
    other = SalonFactory(name="Another Salon")
    client.force_login(admin_user)
    response = client.get(reverse("staff:home"))
    assert response.url == reverse("staff:salon_list")
    listing = client.get(response.url).content.decode()
    assert salon.name in listing and other.name in listing
    assert client.get(agenda_url(other)).status_code == 200


def test_logout_is_a_post_and_ends_the_session(client, staff_of_salon):
    client.force_login(staff_of_salon)
    response = client.post(reverse("staff:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_unknown_salon_is_404_not_500(client, staff_of_salon):
    client.force_login(staff_of_salon)
    assert client.get(reverse("staff:agenda", kwargs={"slug": "nowhere"})).status_code == 404
