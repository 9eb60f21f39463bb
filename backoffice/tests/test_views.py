"""The back office pages: owners change, the salon's stylists see every page
read-only (a POST is 403 with a page saying why), another salon's staff get
404; errors are shown on their fields; each page costs a fixed number of
queries."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from bookings.tests.factories import make_booking
from resources.models import Resource
from salons.models import DayOff, SalonClosure, Service, StaffMember, WorkingHours
from salons.tests.factories import SalonFactory, ServiceFactory, StaffMemberFactory, UserFactory
from slots.models import Slot

# Committed for real, so the slots follow each change as in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def owner(salon):
    user = UserFactory(username="owner-here")
    StaffMemberFactory(salon=salon, user=user, role=StaffMember.Role.OWNER, hours=False)
    return user


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def _pages(salon, service, member):
    slug = salon.slug
    return [
        reverse("staff:backoffice_settings", args=[slug]),
        reverse("staff:backoffice_services", args=[slug]),
        reverse("staff:backoffice_service", args=[slug, service.pk]),
        reverse("staff:backoffice_resources", args=[slug]),
        reverse("staff:backoffice_staff", args=[slug]),
        reverse("staff:backoffice_staff_edit", args=[slug, member.pk]),
        reverse("staff:backoffice_hours", args=[slug, member.pk]),
        reverse("staff:backoffice_closures", args=[slug]),
    ]


def test_owner_opens_every_page_with_forms_enabled(owner_client, salon, service, staff_member):
    for url in _pages(salon, service, staff_member):
        response = owner_client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "Read only" not in body and " disabled" not in body, url


def test_stylist_sees_every_page_read_only_and_every_post_is_403(client, salon, service, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    for url in _pages(salon, service, staff_member):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "Read only" in body and " disabled" in body, url
        refused = client.post(url, {"name": "Changed", "price": "1"})
        assert refused.status_code == 403, url
        assert "Only the salon&#x27;s owner can change" in refused.content.decode()
    service.refresh_from_db()
    assert service.name == "Cut"


def test_staff_of_another_salon_get_404(client, salon, service, staff_member, staff_of_other_salon):
    client.force_login(staff_of_other_salon)
    for url in _pages(salon, service, staff_member):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {}).status_code == 404, url


def test_admin_changes_any_salon(client, admin_user, salon, service, staff_member):
    client.force_login(admin_user)
    for url in _pages(salon, service, staff_member):
        assert client.get(url).status_code == 200, url


def test_the_agenda_links_to_the_back_office(owner_client, salon):
    body = owner_client.get(reverse("staff:agenda", args=[salon.slug])).content.decode()
    assert reverse("staff:backoffice_settings", args=[salon.slug]) in body


def test_profile_is_saved_and_a_bad_phone_is_shown_on_its_field(owner_client, salon):
    url = reverse("staff:backoffice_settings", args=[salon.slug])
    form = {"part": "profile", "name": "Cut Above", "address": "1 High St", "whatsapp_phone": "07911", "language": "es"}
    response = owner_client.post(url, form)
    assert response.status_code == 400
    assert 'id="id_whatsapp_phone_error"' in response.content.decode()
    response = owner_client.post(url, {**form, "whatsapp_phone": "+447911123999"})
    assert response.status_code == 302
    salon.refresh_from_db()
    assert (salon.name, salon.whatsapp_phone, salon.language) == ("Cut Above", "+447911123999", "es")


def test_time_zone_change_with_bookings_ahead_is_refused_with_the_reason(owner_client, salon, service, staff_member):
    make_booking(
        service=service,
        staff_member=staff_member,
        start=timezone.now().replace(microsecond=0, second=0, minute=0) + dt.timedelta(days=2),
    )
    rules = {
        "part": "rules",
        "timezone": "Europe/Madrid",
        "slot_minutes": 15,
        "booking_window_days": 30,
        "cancellation_cutoff_hours": 24,
        "minimum_notice_minutes": 60,
        "auto_confirm": "on",
    }
    response = owner_client.post(reverse("staff:backoffice_settings", args=[salon.slug]), rules)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_timezone_error"' in body and "1 active booking lie ahead" in body
    salon.refresh_from_db()
    assert salon.timezone == "Europe/London" and salon.minimum_notice_minutes == 0


def _rules_form(salon, **changes):
    """The booking rules form as the page posts it, with ``changes``; a ticked box is "on", an unticked one left out."""
    form = {
        "part": "rules",
        "timezone": salon.timezone,
        "slot_minutes": salon.slot_minutes,
        "booking_window_days": salon.booking_window_days,
        "cancellation_cutoff_hours": salon.cancellation_cutoff_hours,
        "minimum_notice_minutes": salon.minimum_notice_minutes,
        "auto_confirm": salon.auto_confirm,
        "customers_book_series": salon.customers_book_series,
        **changes,
    }
    return {name: ("on" if value is True else value) for name, value in form.items() if value is not False}


def test_owner_lets_customers_book_standing_appointments_and_stops_it(owner_client, salon):
    url = reverse("staff:backoffice_settings", args=[salon.slug])
    page = owner_client.get(url).content.decode()
    assert 'name="customers_book_series"' in page and "Let customers book a standing appointment online" in page
    assert salon.customers_book_series is False
    info = f"/api/salons/{salon.slug}/"
    assert owner_client.get(info).json()["booking_rules"]["customers_book_series"] is False  # now cached

    response = owner_client.post(url, _rules_form(salon, customers_book_series=True))
    assert response.status_code == 302
    salon.refresh_from_db()
    assert salon.customers_book_series is True
    assert 'name="customers_book_series" id="id_customers_book_series" checked' in owner_client.get(url).content.decode()
    assert owner_client.get(info).json()["booking_rules"]["customers_book_series"] is True

    response = owner_client.post(url, _rules_form(salon, customers_book_series=False))
    assert response.status_code == 302
    salon.refresh_from_db()
    assert salon.customers_book_series is False
    assert owner_client.get(info).json()["booking_rules"]["customers_book_series"] is False


def test_a_stylist_cannot_let_customers_book_standing_appointments(client, salon, staff_of_salon):
    client.force_login(staff_of_salon)
    url = reverse("staff:backoffice_settings", args=[salon.slug])
    refused = client.post(url, _rules_form(salon, customers_book_series=True))
    assert refused.status_code == 403
    assert "Only the salon&#x27;s owner can change" in refused.content.decode()
    salon.refresh_from_db()
    assert salon.customers_book_series is False


def test_services_are_added_edited_moved_and_deactivated(owner_client, salon, service):
    url = reverse("staff:backoffice_services", args=[salon.slug])
    response = owner_client.post(url, {"name": "Colour", "duration_minutes": 90, "buffer_minutes": 15, "price": "80"})
    assert response.status_code == 302
    colour = Service.objects.get(salon=salon, name="Colour")
    edit = reverse("staff:backoffice_service", args=[salon.slug, colour.pk])
    bad = owner_client.post(edit, {"name": "Colour", "duration_minutes": 1, "buffer_minutes": 0, "price": "80"})
    assert bad.status_code == 400 and 'id="id_duration_minutes_error"' in bad.content.decode()
    owner_client.post(edit, {"name": "Colour", "duration_minutes": 60, "buffer_minutes": 0, "price": "85.50"})
    owner_client.post(reverse("staff:backoffice_service_action", args=[salon.slug, colour.pk, "up"]))
    owner_client.post(reverse("staff:backoffice_service_action", args=[salon.slug, service.pk, "deactivate"]))
    assert [(s.name, s.is_active) for s in Service.objects.filter(salon=salon)] == [("Colour", True), ("Cut", False)]
    assert str(Service.objects.get(pk=colour.pk).price) == "85.50"


def _week(day_hours):
    data = {"part": "week"}
    for weekday in range(7):
        hours = day_hours.get(weekday)
        if hours:
            data[f"day{weekday}-works"] = "on"
            for name, value in zip(("start_time", "end_time", "break_start", "break_end"), hours, strict=False):
                data[f"day{weekday}-{name}"] = value
    return data


def test_a_new_stylist_is_added_and_given_a_week(owner_client, salon, service):
    response = owner_client.post(
        reverse("staff:backoffice_staff", args=[salon.slug]),
        {"name": "Bea", "role": "stylist", "services": [service.pk]},
    )
    bea = StaffMember.objects.get(name="Bea")
    assert response.url == reverse("staff:backoffice_hours", args=[salon.slug, bea.pk])
    response = owner_client.post(response.url, _week({0: ("09:00", "17:00", "12:00", "13:00"), 1: ("10:00", "14:00")}))
    assert response.status_code == 302
    assert list(WorkingHours.objects.filter(staff_member=bea).values_list("weekday", flat=True)) == [0, 1]
    assert Slot.objects.filter(staff_member=bea).exists()


def test_bad_hours_are_shown_on_the_day_and_field(owner_client, salon, staff_member):
    url = reverse("staff:backoffice_hours", args=[salon.slug, staff_member.pk])
    response = owner_client.post(url, _week({2: ("09:00", "17:00", "16:00", "18:00"), 3: ("17:00", "09:00")}))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_day2-break_start_error"' in body and 'id="id_day3-end_time_error"' in body
    assert WorkingHours.objects.filter(staff_member=staff_member).count() == 7  # nothing changed


def test_hours_that_leave_a_booking_outside_list_it_with_a_move_link(owner_client, salon, service, staff_member):
    day = timezone.localdate(timezone=salon.tz) + dt.timedelta(days=2)
    booking = make_booking(
        service=service, staff_member=staff_member, start=dt.datetime.combine(day, dt.time(8), tzinfo=salon.tz)
    )
    url = reverse("staff:backoffice_hours", args=[salon.slug, staff_member.pk])
    owner_client.post(url, _week(dict.fromkeys(range(7), ("09:00", "17:00"))))
    body = owner_client.get(url).content.decode()
    assert reverse("staff:booking_reschedule", args=[booking.reference]) in body
    assert booking.customer_name in body


def test_days_off_and_closures_are_added_and_removed(owner_client, salon, staff_member):
    day = timezone.localdate(timezone=salon.tz) + dt.timedelta(days=3)
    hours = reverse("staff:backoffice_hours", args=[salon.slug, staff_member.pk])
    owner_client.post(hours, {"part": "day_off", "date": day.isoformat(), "reason": "Dentist"})
    off = DayOff.objects.get(staff_member=staff_member)
    owner_client.post(reverse("staff:backoffice_day_off_delete", args=[salon.slug, off.pk]))
    assert not DayOff.objects.exists()

    closures = reverse("staff:backoffice_closures", args=[salon.slug])
    bad = owner_client.post(
        closures, {"date_from": day.isoformat(), "date_to": (day - dt.timedelta(days=1)).isoformat()}
    )
    assert bad.status_code == 400 and 'id="id_date_to_error"' in bad.content.decode()
    owner_client.post(closures, {"date_from": day.isoformat(), "reason": "Bank holiday"})
    closure = SalonClosure.objects.get(salon=salon)
    assert closure.date_to == closure.date_from == day
    owner_client.post(reverse("staff:backoffice_closure_delete", args=[salon.slug, closure.pk]))
    assert not SalonClosure.objects.exists()


def test_an_invited_member_sets_a_password_with_the_link_and_logs_in(owner_client, client, salon):
    member = StaffMemberFactory(salon=salon, name="Cleo", hours=False)
    response = owner_client.post(
        reverse("staff:backoffice_invite", args=[salon.slug, member.pk]), {"username": "cleo", "email": ""}
    )
    assert response.status_code == 200
    link = re.search(r'value="(http://testserver/staff/set-password/[^"]+)"', response.content.decode()).group(1)
    user = get_user_model().objects.get(username="cleo")
    assert not user.has_usable_password()

    owner_client.logout()
    page = client.get(link, follow=True)
    assert page.status_code == 200 and "Choose your password" in page.content.decode()
    done = client.post(
        page.redirect_chain[-1][0], {"new_password1": "a-good-long-pass-21", "new_password2": "a-good-long-pass-21"}
    )
    assert done.status_code == 302
    login = client.post(reverse("staff:login"), {"username": "cleo", "password": "a-good-long-pass-21"})
    assert login.status_code == 302
    assert client.get(reverse("staff:agenda", args=[salon.slug])).status_code == 200
    # The link works once.
    client.logout()
    assert "has been used or has expired" in client.get(link, follow=True).content.decode()


def test_a_taken_username_is_shown_on_its_field(owner_client, salon):
    UserFactory(username="taken")
    member = StaffMemberFactory(salon=salon, hours=False)
    response = owner_client.post(
        reverse("staff:backoffice_invite", args=[salon.slug, member.pk]), {"username": "taken"}
    )
    assert response.status_code == 400 and 'id="id_username_error"' in response.content.decode()


@pytest.mark.parametrize("extra", [1, 6])
def test_page_queries_do_not_grow_with_staff_services_or_bookings(
    owner_client, salon, service, staff_member, django_assert_max_num_queries, extra
):
    for index in range(extra):
        more = ServiceFactory(salon=salon)
        member = StaffMemberFactory(salon=salon, services=[service, more], hours=(dt.time(9), dt.time(17)))
        member.user = UserFactory()
        member.save()
        DayOff.objects.create(staff_member=staff_member, date=timezone.localdate() + dt.timedelta(days=10 + index))
        SalonClosure.objects.create(
            salon=salon,
            date_from=timezone.localdate() + dt.timedelta(days=20 + index),
            date_to=timezone.localdate() + dt.timedelta(days=20 + index),
        )
    # Measured: the same with one extra member, service, day off and closure as
    # with six. A service's page also reads the resources it needs and offers.
    budgets = [4, 5, 7, 6, 9, 9, 9, 7]
    for url, budget in zip(_pages(salon, service, staff_member), budgets, strict=True):
        with django_assert_max_num_queries(budget):
            assert owner_client.get(url).status_code == 200, url


def test_cached_availability_follows_a_deactivation_and_a_closure_at_once(owner_client, salon, service, staff_member):
    day = timezone.localdate(timezone=salon.tz) + dt.timedelta(days=2)
    url = f"/api/salons/{salon.slug}/availability/?date={day}&service={service.pk}"
    assert owner_client.get(url).json()["slots"]  # now cached
    owner_client.post(reverse("staff:backoffice_closures", args=[salon.slug]), {"date_from": day.isoformat()})
    assert owner_client.get(url).json()["slots"] == []

    other_day = day + dt.timedelta(days=1)
    other = f"/api/salons/{salon.slug}/availability/?date={other_day}&service={service.pk}"
    assert owner_client.get(other).json()["slots"]  # now cached
    owner_client.post(reverse("staff:backoffice_service_action", args=[salon.slug, service.pk, "deactivate"]))
    answer = owner_client.get(other)
    assert answer.status_code == 400 and "service" in answer.json()["error"]["details"]


def test_resources_are_added_and_a_service_given_its_processing_and_station(owner_client, salon, service):
    colour = Service.objects.create(salon=salon, name="Colour", duration_minutes=90, price="85")
    resources = reverse("staff:backoffice_resources", args=[salon.slug])
    response = owner_client.post(resources, {"name": "Basin", "quantity": 2, "services": [service.pk]})
    assert response.status_code == 302
    owner_client.post(resources, {"name": "Colour station", "quantity": 1})
    station = Resource.objects.get(salon=salon, name="Colour station")
    basin = Resource.objects.get(salon=salon, name="Basin")
    assert list(basin.services.all()) == [service] and basin.quantity == 2

    edit = reverse("staff:backoffice_service", args=[salon.slug, colour.pk])
    fields = {"name": "Colour", "duration_minutes": 90, "buffer_minutes": 0, "price": "85"}
    bad = owner_client.post(edit, {**fields, "processing_after_minutes": 60, "processing_minutes": 45})
    assert bad.status_code == 400 and "Processing must start after some work" in bad.content.decode()
    processing = {"processing_after_minutes": 30, "processing_minutes": 30}
    owner_client.post(edit, {**fields, **processing, "resources": [station.pk]})
    colour.refresh_from_db()
    assert (colour.processing_after_minutes, colour.processing_minutes) == (30, 30)
    assert list(colour.resources.all()) == [station]

    retire = reverse("staff:backoffice_resource", args=[salon.slug, basin.pk])
    owner_client.post(retire, {"retire": "1"})
    assert not Resource.objects.get(pk=basin.pk).is_active


def test_another_salons_resource_is_404(owner_client, salon):
    other = Resource.objects.create(salon=SalonFactory(), name="Chair")
    assert owner_client.get(reverse("staff:backoffice_resource", args=[salon.slug, other.pk])).status_code == 404
