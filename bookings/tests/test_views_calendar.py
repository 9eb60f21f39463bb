"""The staff pages of calendar feeds: the agenda's link, the links page, resetting a feed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bookings.calendar_feed import staff_feed_subscribe_url, staff_feed_url
from salons.models import StaffMember
from salons.services import calendar_token_for

pytestmark = pytest.mark.django_db


def reset(client, member: StaffMember):
    return client.post(reverse("staff:calendar_reset", kwargs={"slug": member.salon.slug, "member_id": member.pk}))


def feed_status(client, token: str) -> int:
    return client.get(reverse("calendar-feed", kwargs={"secret": token})).status_code


def test_agenda_links_the_signed_in_members_own_feed(client, salon, staff_member, staff_of_salon, settings):
    settings.PUBLIC_BASE_URL = "https://book.example.com"
    client.force_login(staff_of_salon)

    body = client.get(reverse("staff:agenda", kwargs={"slug": salon.slug})).content.decode()

    staff_member.refresh_from_db()
    token = staff_member.calendar_token
    assert token
    assert f'href="webcal://book.example.com/calendar/{token}.ics">Subscribe to my calendar</a>' in body
    assert staff_feed_subscribe_url(token) == f"webcal://book.example.com/calendar/{token}.ics"


def test_links_page_shows_the_https_address_to_paste(client, salon, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    body = client.get(reverse("staff:calendar_links", kwargs={"slug": salon.slug})).content.decode()
    token = calendar_token_for(staff_member=StaffMember.objects.get(pk=staff_member.pk))
    assert staff_feed_url(token) in body


def test_owner_resets_a_stylists_feed_and_the_old_url_404s(client, salon, staff_member, owner_of_salon):
    old = calendar_token_for(staff_member=staff_member)
    assert feed_status(client, old) == 200
    client.force_login(owner_of_salon)

    response = reset(client, staff_member)

    assert response.status_code == 302
    new = StaffMember.objects.get(pk=staff_member.pk).calendar_token
    assert new and new != old
    assert feed_status(client, old) == 404
    assert feed_status(client, new) == 200


def test_a_stylist_resets_their_own_feed(client, staff_member, staff_of_salon):
    old = calendar_token_for(staff_member=staff_member)
    client.force_login(staff_of_salon)
    assert reset(client, staff_member).status_code == 302
    assert StaffMember.objects.get(pk=staff_member.pk).calendar_token != old


def test_a_stylist_cannot_reset_a_colleagues_feed(client, salon, staff_of_salon, owner_of_salon):
    owner = StaffMember.objects.get(user=owner_of_salon)
    old = calendar_token_for(staff_member=owner)
    client.force_login(staff_of_salon)
    assert reset(client, owner).status_code == 403
    assert StaffMember.objects.get(pk=owner.pk).calendar_token == old


def test_another_salons_owner_gets_404_and_changes_nothing(client, staff_member, owner_of_other_salon):
    old = calendar_token_for(staff_member=staff_member)
    client.force_login(owner_of_other_salon)
    assert reset(client, staff_member).status_code == 404
    assert StaffMember.objects.get(pk=staff_member.pk).calendar_token == old


def test_reset_is_a_post_and_needs_a_login(client, staff_member, staff_of_salon):
    old = calendar_token_for(staff_member=staff_member)
    response = reset(client, staff_member)
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    client.force_login(staff_of_salon)
    url = reverse("staff:calendar_reset", kwargs={"slug": staff_member.salon.slug, "member_id": staff_member.pk})
    assert client.get(url).status_code == 405
    assert StaffMember.objects.get(pk=staff_member.pk).calendar_token == old


def test_the_links_page_lists_every_member_for_the_owner_and_only_themselves_for_a_stylist(
    client, salon, staff_member, staff_of_salon, owner_of_salon
):
    url = reverse("staff:calendar_links", kwargs={"slug": salon.slug})
    client.force_login(owner_of_salon)
    body = client.get(url).content.decode()
    assert f"Reset<span class=\"visually-hidden\"> {staff_member.name}'s" in body.replace("&#x27;", "'")
    client.force_login(staff_of_salon)
    body = client.get(url).content.decode().replace("&#x27;", "'")
    assert f"{staff_member.name}'s calendar link" in body
    assert "Olga Owner's calendar link" not in body
