"""The owner's view of the booking page: its link, QR code, embed snippet,
and the sites that may frame it."""

from __future__ import annotations

import urllib.parse

import pytest
import segno
from django.urls import reverse

from salons.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client, salon, staff_member):
    user = UserFactory(username="owner-here")
    staff_member.user, staff_member.role = user, "owner"
    staff_member.save(update_fields=["user", "role"])
    client.force_login(user)
    return client


def test_the_settings_page_shows_the_link_its_qr_code_and_the_embed_snippet(owner_client, salon, settings):
    settings.PUBLIC_BASE_URL = "https://book.salonbook.example"
    html = owner_client.get(reverse("staff:backoffice_settings", args=[salon.slug])).content.decode()
    link = f"https://book.salonbook.example/book/{salon.slug}/"
    assert f'href="{link}"' in html
    assert f'&lt;iframe src=&quot;{link}&quot;' in html
    qr = html.split('id="booking-page-qr"')[0].rsplit('<img src="', 1)[1].split('"')[0]
    assert qr.startswith("data:image/svg+xml")
    svg = urllib.parse.unquote(qr.split(",", 1)[1])
    assert svg.startswith("<svg") and "<path" in svg


def test_the_qr_code_is_the_code_of_the_link(owner_client, salon):
    html = owner_client.get(reverse("staff:backoffice_settings", args=[salon.slug])).content.decode()
    expected = segno.make(f"http://localhost:8000/book/{salon.slug}/", error="m").svg_data_uri(scale=5, border=2)
    other = segno.make(f"http://localhost:8000/book/{salon.slug}-x/", error="m").svg_data_uri(scale=5, border=2)
    assert f'<img src="{expected}"' in html
    assert other not in html


def test_owner_lists_the_sites_that_may_frame_the_page(owner_client, salon):
    url = reverse("staff:backoffice_settings", args=[salon.slug])
    form = {"part": "page", "online_bookings_per_phone": "2", "embed_origins": "https://www.example.com/\n\nhttp://localhost:8080"}
    assert owner_client.post(url, form).status_code == 302
    salon.refresh_from_db()
    assert salon.embed_origins == "https://www.example.com\nhttp://localhost:8080"
    assert salon.online_bookings_per_phone == 2


@pytest.mark.parametrize("origin", ["https://www.example.com/path", "*", "https://*.example.com", "javascript:alert(1)", "https://a.example 'unsafe-inline'"])
def test_anything_but_an_origin_is_refused_on_its_field(owner_client, salon, origin):
    url = reverse("staff:backoffice_settings", args=[salon.slug])
    response = owner_client.post(url, {"part": "page", "online_bookings_per_phone": "3", "embed_origins": origin})
    assert response.status_code == 400
    assert "is not an origin" in response.content.decode()
    salon.refresh_from_db()
    assert salon.embed_origins == ""
