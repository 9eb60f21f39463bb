"""The booking page's one response: the salon, its languages, its framing and its cache."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking_page.selectors import page_language
from salons.models import SalonClosure
from salons.services import salon_profile_update

pytestmark = pytest.mark.django_db


def get(path: str, language: str = "en-GB,en;q=0.9"):
    return Client().get(path, HTTP_ACCEPT_LANGUAGE=language)


def test_unknown_salon_gets_the_not_found_page():
    response = get("/book/no-such-salon/")
    assert response.status_code == 404
    assert b"We couldn't find this salon" in response.content


def test_a_salon_with_nothing_to_book_is_not_found(page_salon):
    page_salon.services.update(is_active=False)
    assert get("/book/lumen/").status_code == 404


def test_the_page_shows_the_salon_and_its_active_services_with_duration_and_price(page_salon):
    html = get("/book/lumen/").content.decode()
    assert "<h1>Studio Lumen</h1>" in html
    assert "12 Mill Lane, Bristol" in html
    assert 'href="https://www.google.com/maps/search/?api=1&amp;query=Studio%20Lumen%2C%2012%20Mill%20Lane%2C%20Bristol"' in html
    assert 'href="tel:+447911123000"' in html
    assert "Open today" in html and "09:00–17:00" in html
    assert "Cut" in html and "30 min · £35.00" in html
    assert "Colour" in html and "60 min · £80.00" in html
    assert "Retired" not in html


def test_the_page_says_when_the_salon_is_closed_today(page_salon):
    today = timezone.localdate(timezone=page_salon.tz)
    SalonClosure.objects.create(salon=page_salon, date_from=today, date_to=today)
    html = get("/book/lumen/").content.decode()
    assert "Closed today" in html


@pytest.mark.parametrize(
    ("asked", "accept", "salon", "expected"),
    [
        (None, "es-ES,es;q=0.9,en;q=0.8", "en", "es"),
        (None, "de-DE,en;q=0.5,es;q=0.9", "en", "es"),
        (None, "de-DE", "es", "es"),
        (None, "", "en", "en"),
        ("en", "es-ES", "es", "en"),
        ("fr", "es-ES", "en", "es"),
    ],
)
def test_the_language_is_the_one_picked_then_the_browsers_then_the_salons(asked, accept, salon, expected):
    assert page_language(asked=asked, accept_language=accept, salon_language=salon) == expected


def test_spanish_browsers_get_the_page_in_spanish_with_prices_written_the_spanish_way(page_salon):
    response = get("/book/lumen/", "es-ES,es;q=0.9")
    html = response.content.decode()
    assert response["Content-Language"] == "es"
    assert '<html lang="es-GB">' in html
    assert "1. Elige tus servicios" in html
    assert "35,00\u00a0£" in html
    assert "Puedes cancelar o cambiar tu reserva en línea hasta 24 horas antes" in html
    assert 'href="?lang=en"' in html
    assert "Accept-Language" in response["Vary"]
    english = get("/book/lumen/?lang=en", "es-ES").content.decode()
    assert "1. Choose your services" in english


def test_the_structured_data_describes_the_salon_its_hours_and_priced_services(page_salon):
    html = get("/book/lumen/").content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(block.group(1))
    assert data["@type"] == "HairSalon"
    assert data["address"] == {"@type": "PostalAddress", "streetAddress": "12 Mill Lane, Bristol", "addressCountry": "GB"}
    hours = {h["dayOfWeek"].rsplit("/", 1)[1]: (h["opens"], h["closes"]) for h in data["openingHoursSpecification"]}
    assert hours["Monday"] == ("09:00", "17:00") and len(hours) == 7
    offers = data["hasOfferCatalog"]["itemListElement"]
    assert {(o["itemOffered"]["name"], o["price"], o["priceCurrency"]) for o in offers} == {
        ("Cut", "35.00", "GBP"),
        ("Colour", "80.00", "GBP"),
    }
    assert 'rel="canonical" href="http://localhost:8000/book/lumen/"' in html
    assert 'property="og:title" content="Studio Lumen"' in html


def test_the_page_comes_from_the_cache_without_touching_the_database(page_salon):
    get("/book/lumen/")
    with CaptureQueriesContext(connection) as queries:
        response = get("/book/lumen/")
    assert response.status_code == 200
    assert len(queries) == 0, [q["sql"] for q in queries]


def test_a_change_to_the_salon_shows_on_the_next_view(page_salon, django_capture_on_commit_callbacks):
    get("/book/lumen/")
    with django_capture_on_commit_callbacks(execute=True):
        salon_profile_update(
            salon=page_salon, name="Lumen Hair", address=page_salon.address, whatsapp_phone="+447911123000", language="en"
        )
    assert "<h1>Lumen Hair</h1>" in get("/book/lumen/").content.decode()


def test_framing_is_refused_unless_the_salon_lists_the_site(page_salon):
    response = get("/book/lumen/")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"

    page_salon.embed_origins = "https://www.studio-lumen.example\nhttps://booking.example.org:8443"
    page_salon.save()
    from salons.cache import business_info_invalidate

    business_info_invalidate()
    response = get("/book/lumen/")
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors https://www.studio-lumen.example https://booking.example.org:8443" in policy
    assert "X-Frame-Options" not in response
    # Every other page is still refused to every frame.
    assert get("/staff/login/")["X-Frame-Options"] == "DENY"


def test_the_script_gets_the_window_the_services_and_who_does_them(page_salon):
    html = get("/book/lumen/").content.decode()
    data = json.loads(re.search(r'<script id="page-data" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert data["window_days"] == 40
    assert data["today"] == timezone.localdate(timezone=page_salon.tz).isoformat()
    assert [(s["name"], s["minutes"], s["price"]) for s in data["services"]] == [("Colour", 60, "£80.00"), ("Cut", 30, "£35.00")]
    assert {m["name"]: m["services"] for m in data["staff"]} == {
        "Alice": [page_salon.cut.pk, page_salon.colour.pk],
        "Ben": [page_salon.cut.pk],
    }
