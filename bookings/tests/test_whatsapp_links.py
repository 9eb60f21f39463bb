import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from bookings.messages.links import click_to_chat_url
from bookings.messages.texts import reminder_text
from bookings.tests.factories import make_booking, next_local

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(service, staff_member):
    salon = service.salon
    salon.name = "Cuts & Colour #1"
    salon.save()
    return make_booking(
        service=service, staff_member=staff_member, start=next_local(salon, at=dt.time(10, 30)), name="João Müller-Zoë"
    )


def test_link_opens_a_chat_with_the_customers_digits(booking):
    url = urlsplit(click_to_chat_url(booking))
    assert (url.scheme, url.netloc) == ("https", "wa.me")
    assert url.path == "/447911123456"


def test_text_round_trips_with_non_ascii_names_and_reserved_characters(booking):
    url = click_to_chat_url(booking)
    query = urlsplit(url).query
    assert query.count("=") == 1 and "&" not in query and "#" not in url
    assert " " not in url and "+" not in query
    [text] = parse_qs(query)["text"]
    assert text == reminder_text(booking)
    assert "João Müller-Zoë" in text and "Cuts & Colour #1" in text
    assert "Jo%C3%A3o%20M%C3%BCller" in query


def test_text_names_the_service_and_the_salons_local_time(booking):
    text = reminder_text(booking)
    assert "Cut" in text
    assert "10:30" in text  # salon-local, not UTC
    assert f"/manage/{booking.reference}/#token=" in text
