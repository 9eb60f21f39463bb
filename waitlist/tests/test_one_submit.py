"""One submit, one waitlist entry: the desk's form sent twice (its one-time
key) and the booking page's join sent twice (its ``Idempotency-Key``) each
add the customer once.

The races (eight senders at once) run on PostgreSQL, where the key's unique
index makes the later requests wait for the first one's commit.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from salonbook.tests.races import form_key_on, posts, race
from waitlist.models import WaitlistEntry

RACERS = 8


def _day(salon):
    return timezone.localdate(timezone=salon.tz) + dt.timedelta(days=2)


def _url(salon):
    return reverse("staff:waitlist_add", kwargs={"slug": salon.slug})


def _form(client, salon, service):
    return {
        "service": service.pk,
        "date_from": _day(salon).isoformat(),
        "date_to": _day(salon).isoformat(),
        "customer_name": "Desk Customer",
        "customer_phone": "+447911123482",
        "form_key": form_key_on(client.get(_url(salon)).content.decode()),
    }


def _agenda(salon):
    return f"{reverse('staff:agenda', kwargs={'slug': salon.slug})}?date={_day(salon).isoformat()}"


def _join(service, key):
    body = {
        "service": service.pk,
        "date_from": _day(service.salon).isoformat(),
        "date_to": _day(service.salon).isoformat(),
        "customer_name": "Ana Silva",
        "customer_phone": "+447911123456",
    }
    return APIClient().post(
        f"/api/salons/{service.salon.slug}/waitlist/", body, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


@pytest.mark.django_db
def test_the_desk_form_sent_twice_adds_the_customer_once(client, salon, service, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    form = _form(client, salon, service)

    first, second = client.post(_url(salon), form), client.post(_url(salon), form)

    assert WaitlistEntry.objects.count() == 1
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == _agenda(salon)
    assert [str(m) for m in get_messages(second.wsgi_request)][-1] == "Already saved."


@pytest.mark.django_db
def test_a_join_with_a_key_and_a_lone_surrogate_is_refused_not_a_500(service, staff_member):
    body = {"service": service.pk, "date_from": _day(service.salon).isoformat(), "customer_name": "\ud800"}
    response = APIClient().post(
        f"/api/salons/{service.salon.slug}/waitlist/",
        json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 400


@pytest.mark.django_db
def test_the_booking_pages_join_sent_twice_with_its_key_adds_one_entry(service, staff_member):
    key = str(uuid.uuid4())
    first, second = _join(service, key), _join(service, key)

    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert json.loads(second.content) == json.loads(first.content)
    assert WaitlistEntry.objects.count() == 1
    assert _join(service, str(uuid.uuid4())).status_code == 201  # another attempt is another entry
    assert WaitlistEntry.objects.count() == 2


def test_the_booking_pages_join_sends_its_key():
    """The page's script gives each offer of the waitlist a key of its own
    (its browser tests drive the page; this names the one line that matters)."""
    source = (Path(settings.BASE_DIR) / "static" / "booking_page" / "book.js").read_text()
    assert 'request("POST", api + "waitlist/", body, { "Idempotency-Key": waitlistKey })' in source
    assert "waitlistKey = uuid();" in source


@pytest.mark.django_db(transaction=True)
def test_the_desk_form_sent_by_eight_browsers_at_once_adds_the_customer_once(
    postgres_only, client, salon, service, staff_member, staff_of_salon
):
    client.force_login(staff_of_salon)
    form = _form(client, salon, service)

    outcomes = race(posts(staff_of_salon, _url(salon), form, times=RACERS))

    assert outcomes == Counter({f"302 {_agenda(salon)}": RACERS}), outcomes
    assert WaitlistEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_booking_pages_join_sent_eight_times_at_once_adds_one_entry(postgres_only, service, staff_member):
    key = str(uuid.uuid4())

    outcomes = race([lambda: str(_join(service, key).status_code) for _ in range(RACERS)])

    assert outcomes == Counter({"201": RACERS}), outcomes
    assert WaitlistEntry.objects.count() == 1
