"""One submit, one result in the back office: a create form sent twice (a
double click, a resent page) makes one closure, staff member, service or day
off, and the second submit is sent where the first went.

The sequential tests run on both databases; the races (eight browsers
sending one rendered form at once) on PostgreSQL, where the key's unique
index makes the later submits wait for the first one's commit.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from bookings.models import IdempotencyKey
from resources.models import Resource
from salonbook.tests.races import form_key_on, posts, race
from salons.models import DayOff, SalonClosure, Service, StaffMember

RACERS = 8


@pytest.fixture
def owner_client(client, owner_of_salon):
    client.force_login(owner_of_salon)
    return client


def _closures(salon):
    return reverse("staff:backoffice_closures", args=[salon.slug])


def _closure_form(client, salon, **more):
    day = timezone.localdate(timezone=salon.tz) + dt.timedelta(days=5)
    key = form_key_on(client.get(_closures(salon)).content.decode())
    return {"date_from": day.isoformat(), "reason": "Bank holiday", "form_key": key, **more}


def _said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.django_db
def test_a_closure_sent_twice_is_added_once_and_the_second_submit_says_already_saved(owner_client, salon):
    form = _closure_form(owner_client, salon)

    first = owner_client.post(_closures(salon), form)
    second = owner_client.post(_closures(salon), form)

    assert SalonClosure.objects.filter(salon=salon).count() == 1
    assert first.status_code == second.status_code == 302
    assert second.url == first.url == _closures(salon)
    assert _said(second)[-1] == "Already saved."


@pytest.mark.django_db
def test_each_rendered_form_is_a_new_closure(owner_client, salon):
    owner_client.post(_closures(salon), _closure_form(owner_client, salon))
    owner_client.post(_closures(salon), _closure_form(owner_client, salon, reason="Staff training"))
    assert SalonClosure.objects.filter(salon=salon).count() == 2


@pytest.mark.django_db
def test_a_form_from_before_keys_still_saves_once(owner_client, salon):
    """An owner's tab opened before forms carried a key: saved as it always was."""
    form = _closure_form(owner_client, salon)
    del form["form_key"]
    response = owner_client.post(_closures(salon), form)
    assert response.status_code == 302
    assert SalonClosure.objects.filter(salon=salon).count() == 1


@pytest.mark.django_db
def test_a_key_sent_back_with_other_details_is_refused_with_a_form_error(owner_client, salon):
    """The page reopened with Back, changed and saved: not silently the first result."""
    form = _closure_form(owner_client, salon)
    owner_client.post(_closures(salon), form)
    changed = owner_client.post(_closures(salon), {**form, "reason": "Refurbishment"})
    assert changed.status_code == 400
    assert "already saved with other details" in changed.content.decode()
    assert list(SalonClosure.objects.values_list("reason", flat=True)) == ["Bank holiday"]
    # The page shown again carries a fresh key: saving it adds the changed closure.
    retry = {**form, "reason": "Refurbishment", "form_key": form_key_on(changed.content.decode())}
    assert owner_client.post(_closures(salon), retry).status_code == 302
    assert SalonClosure.objects.filter(salon=salon).count() == 2


@pytest.mark.django_db
def test_a_refused_form_does_not_use_up_its_key(owner_client, salon):
    day = timezone.localdate(timezone=salon.tz) + dt.timedelta(days=5)
    form = _closure_form(owner_client, salon, date_to=(day - dt.timedelta(days=1)).isoformat())
    refused = owner_client.post(_closures(salon), form)
    assert refused.status_code == 400 and not SalonClosure.objects.exists()
    assert not IdempotencyKey.objects.exists()
    fixed = owner_client.post(_closures(salon), {**form, "date_to": ""})
    assert fixed.status_code == 302 and SalonClosure.objects.count() == 1


@pytest.mark.django_db
def test_a_key_the_page_cannot_have_sent_is_a_form_error_not_a_500(owner_client, salon):
    for key in ["x", "\u202eevil-key-of-some-length", "k" * 500]:
        response = owner_client.post(_closures(salon), _closure_form(owner_client, salon, form_key=key))
        assert response.status_code == 400
        assert "This form could not be checked. Please save it again." in response.content.decode()
    assert not SalonClosure.objects.exists()


@pytest.mark.django_db
def test_keys_of_one_salon_do_not_answer_for_another(client, owner_of_salon, owner_of_other_salon, salon):
    """The key's scope is the form and the salon: one salon's key never replays another's result."""
    other = StaffMember.objects.get(user=owner_of_other_salon).salon
    client.force_login(owner_of_salon)
    form = _closure_form(client, salon)
    client.post(_closures(salon), form)
    client.force_login(owner_of_other_salon)
    client.post(_closures(other), form)
    assert SalonClosure.objects.filter(salon=other).count() == 1


@pytest.mark.django_db
def test_a_staff_member_service_and_day_off_sent_twice_are_each_added_once(owner_client, salon, staff_member):
    staff_page = reverse("staff:backoffice_staff", args=[salon.slug])
    form = {"name": "Nina New", "role": "stylist", "form_key": form_key_on(owner_client.get(staff_page).content.decode())}
    first, second = owner_client.post(staff_page, form), owner_client.post(staff_page, form)
    assert StaffMember.objects.filter(salon=salon, name="Nina New").count() == 1
    assert second.url == first.url and _said(second)[-1] == "Already saved."

    services = reverse("staff:backoffice_services", args=[salon.slug])
    key = form_key_on(owner_client.get(services).content.decode())
    form = {"name": "Fringe", "duration_minutes": 15, "buffer_minutes": 0, "price": "8.00", "form_key": key}
    owner_client.post(services, form)
    assert _said(owner_client.post(services, form))[-1] == "Already saved."
    assert Service.objects.filter(salon=salon, name="Fringe").count() == 1

    hours = reverse("staff:backoffice_hours", args=[salon.slug, staff_member.pk])
    page = owner_client.get(hours).content.decode()
    day_off_form = page[page.index('value="day_off"') - 400 :]
    day = timezone.localdate(timezone=salon.tz) + dt.timedelta(days=3)
    form = {"part": "day_off", "date": day.isoformat(), "reason": "Dentist", "form_key": form_key_on(day_off_form)}
    owner_client.post(hours, form)
    assert _said(owner_client.post(hours, form))[-1] == "Already saved."
    assert DayOff.objects.filter(staff_member=staff_member).count() == 1

    resources = reverse("staff:backoffice_resources", args=[salon.slug])
    form = {"name": "Basin", "quantity": 2, "form_key": form_key_on(owner_client.get(resources).content.decode())}
    owner_client.post(resources, form)
    assert _said(owner_client.post(resources, form))[-1] == "Already saved."
    assert Resource.objects.filter(salon=salon, name="Basin").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_closure_sent_by_eight_browsers_at_once_is_added_once(postgres_only, salon, owner_of_salon, client):
    client.force_login(owner_of_salon)
    form = _closure_form(client, salon)

    outcomes = race(posts(owner_of_salon, _closures(salon), form, times=RACERS))

    assert outcomes == Counter({f"302 {_closures(salon)}": RACERS}), outcomes
    assert SalonClosure.objects.filter(salon=salon).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_staff_member_sent_by_eight_browsers_at_once_is_added_once(postgres_only, salon, owner_of_salon, client):
    client.force_login(owner_of_salon)
    staff_page = reverse("staff:backoffice_staff", args=[salon.slug])
    key = form_key_on(client.get(staff_page).content.decode())
    form = {"name": "Nina New", "role": "stylist", "form_key": key}

    outcomes = race(posts(owner_of_salon, staff_page, form, times=RACERS))

    member = StaffMember.objects.get(salon=salon, name="Nina New")
    hours = reverse("staff:backoffice_hours", args=[salon.slug, member.pk])
    assert outcomes == Counter({f"302 {hours}": RACERS}), outcomes
