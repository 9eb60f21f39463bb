"""Cached business info: an hour at most, fresh right after every committed
edit, the admin's included."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import caches
from django.urls import reverse

from salonbook.events import cache_accessed
from salons.cache import BUSINESS_INFO_TTL, business_info, cached_business_info
from salons.models import Salon, Service
from salons.schedules import day_off_add, working_hours_set
from salons.services import business_info_delete, business_info_save, salon_rules_update, salon_update
from salons.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["configured", "redis"])
def cache_store(request, settings):
    """Each test runs on the cache the settings configure (local memory without
    REDIS_URL) and on a real Redis."""
    if request.param == "redis":
        return request.getfixturevalue("redis_content_cache")
    return caches["default"]


def build_part(slug: str, part: str):
    """What the API builds on a miss; raises Salon.DoesNotExist for an unknown slug."""

    def build():
        salon = Salon.objects.get(slug=slug)
        if part == "salon":
            return {"slug": salon.slug, "name": salon.name, "timezone": salon.timezone, "address": salon.address}
        if part == "services":
            return [
                {"id": s.pk, "name": s.name, "duration": s.duration_minutes}
                for s in salon.services.filter(is_active=True).order_by("name")
            ]
        if part == "staff":
            return [
                {
                    "id": m.pk,
                    "name": m.name,
                    "services": sorted(m.services.values_list("pk", flat=True)),
                    "hours": [(h.weekday, h.start_time.isoformat(), h.end_time.isoformat()) for h in m.working_hours.all()],
                    "days_off": [d.date.isoformat() for d in m.days_off.all()],
                }
                for m in salon.staff.filter(is_active=True).order_by("name")
            ]
        raise ValueError(part)

    return build


def read(slug: str, part: str):
    return cached_business_info(slug=slug, part=part, build=build_part(slug, part))


def warm(slug: str, part: str):
    read(slug, part)
    hits = []

    def listen(sender, *, kind, hit, **kwargs):
        hits.append((kind, hit))

    cache_accessed.connect(listen)
    try:
        answer = read(slug, part)
    finally:
        cache_accessed.disconnect(listen)
    assert hits == [("business_info", True)]
    return answer


def test_second_read_is_a_hit_and_does_not_build_again(cache_store, salon):
    calls = []

    def build():
        calls.append(1)
        return build_part(salon.slug, "salon")()

    first = cached_business_info(slug=salon.slug, part="salon", build=build)
    second = cached_business_info(slug=salon.slug, part="salon", build=build)
    assert first == second == {"slug": salon.slug, "name": salon.name, "timezone": "Europe/London", "address": ""}
    assert calls == [1]


def test_parts_and_salons_are_kept_apart(cache_store, salon, service):
    other = Salon.objects.create(name="Elsewhere", slug="elsewhere")
    assert read(salon.slug, "services") == [{"id": service.pk, "name": "Cut", "duration": 30}]
    assert read(other.slug, "services") == []
    assert read(salon.slug, "salon")["name"] == salon.name


def test_a_salon_that_does_not_exist_is_not_cached(cache_store):
    with pytest.raises(Salon.DoesNotExist):
        read("nowhere", "salon")
    Salon.objects.create(name="Nowhere", slug="nowhere")
    assert read("nowhere", "salon")["name"] == "Nowhere"


def test_business_info_is_kept_one_hour_in_redis(redis_content_cache, salon):
    read(salon.slug, "salon")
    client = caches["default"].client.get_client()
    keys = [k for k in client.keys("sb:*") if b":bi:" in k and b":bi:v:" not in k]
    assert len(keys) == 1
    assert BUSINESS_INFO_TTL - 5 <= client.ttl(keys[0]) <= BUSINESS_INFO_TTL == 3600


def test_salon_edit_shows_at_once(cache_store, salon, django_capture_on_commit_callbacks):
    assert warm(salon.slug, "salon")["name"] == salon.name
    with django_capture_on_commit_callbacks(execute=True):
        salon_update(salon=salon, name="Cut & Colour", address="1 High Street")
    assert read(salon.slug, "salon") == {
        "slug": salon.slug,
        "name": "Cut & Colour",
        "timezone": "Europe/London",
        "address": "1 High Street",
    }


def test_letting_customers_book_a_series_shows_in_the_business_info_at_once(
    cache_store, salon, django_capture_on_commit_callbacks
):
    assert business_info(salon.slug)["booking_rules"]["customers_book_series"] is False
    assert business_info(salon.slug)["booking_rules"]["customers_book_series"] is False  # from the cache
    with django_capture_on_commit_callbacks(execute=True):
        salon_rules_update(salon=salon, customers_book_series=True)
    assert business_info(salon.slug)["booking_rules"]["customers_book_series"] is True
    with django_capture_on_commit_callbacks(execute=True):
        salon_rules_update(salon=salon, customers_book_series=False)
    assert business_info(salon.slug)["booking_rules"]["customers_book_series"] is False


def test_renamed_slug_stops_answering_for_the_old_one(cache_store, salon, django_capture_on_commit_callbacks):
    old_slug = salon.slug
    warm(old_slug, "salon")
    with django_capture_on_commit_callbacks(execute=True):
        salon_update(salon=salon, slug="renamed")
    with pytest.raises(Salon.DoesNotExist):
        read(old_slug, "salon")
    assert read("renamed", "salon")["slug"] == "renamed"


def test_service_added_edited_and_deleted_show_at_once(cache_store, salon, service, django_capture_on_commit_callbacks):
    warm(salon.slug, "services")
    with django_capture_on_commit_callbacks(execute=True):
        colour = business_info_save(instance=Service(salon=salon, name="Colour", duration_minutes=90))
    assert [s["name"] for s in warm(salon.slug, "services")] == ["Colour", "Cut"]
    service.duration_minutes = 45
    with django_capture_on_commit_callbacks(execute=True):
        business_info_save(instance=service)
    assert warm(salon.slug, "services")[1] == {"id": service.pk, "name": "Cut", "duration": 45}
    with django_capture_on_commit_callbacks(execute=True):
        business_info_delete(instance=colour)
    assert [s["name"] for s in read(salon.slug, "services")] == ["Cut"]


def test_staff_hours_and_days_off_show_at_once(cache_store, salon, staff_member, django_capture_on_commit_callbacks):
    before = warm(salon.slug, "staff")
    assert before[0]["hours"][0] == (0, "00:00:00", "23:59:00")
    with django_capture_on_commit_callbacks(execute=True):
        working_hours_set(staff_member=staff_member, weekday=0, start_time=dt.time(9), end_time=dt.time(17))
    assert warm(salon.slug, "staff")[0]["hours"][0] == (0, "09:00:00", "17:00:00")
    day = dt.date.today() + dt.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        day_off_add(staff_member=staff_member, date=day)
    assert read(salon.slug, "staff")[0]["days_off"] == [day.isoformat()]


def test_deactivated_staff_member_shows_at_once(cache_store, salon, staff_member, django_capture_on_commit_callbacks):
    assert len(warm(salon.slug, "staff")) == 1
    staff_member.is_active = False
    with django_capture_on_commit_callbacks(execute=True):
        business_info_save(instance=staff_member)
    assert read(salon.slug, "staff") == []


def test_salon_and_its_services_edited_in_admin_show_at_once(
    cache_store, admin_client, salon, django_capture_on_commit_callbacks
):
    service = ServiceFactory(salon=salon, name="Cut", duration_minutes=30)
    warm(salon.slug, "salon")
    warm(salon.slug, "services")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:salons_salon_change", args=[salon.pk]),
            {
                "name": "Renamed in admin",
                "slug": salon.slug,
                "timezone": "Europe/London",
                "whatsapp_phone": salon.whatsapp_phone,
                "address": "",
                "slot_minutes": 15,
                "booking_window_days": 30,
                "cancellation_cutoff_hours": 24,
                "auto_confirm": "on",
                "services-TOTAL_FORMS": "1",
                "services-INITIAL_FORMS": "1",
                "services-0-id": service.pk,
                "services-0-salon": salon.pk,
                "services-0-name": "Cut",
                "services-0-duration_minutes": 40,
                "services-0-buffer_minutes": 0,
                "services-0-processing_after_minutes": 0,
                "services-0-processing_minutes": 0,
                "services-0-price": "30.00",
                "services-0-is_active": "on",
            },
        )
    assert response.status_code == 302, response.content
    assert read(salon.slug, "salon")["name"] == "Renamed in admin"
    assert read(salon.slug, "services") == [{"id": service.pk, "name": "Cut", "duration": 40}]
