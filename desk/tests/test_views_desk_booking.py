"""Booking at the desk: the same free starts as the API, errors next to the fields."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, BookingStatusChange
from bookings.tests.factories import make_booking, next_local
from desk.forms import DeskBookingForm
from salons.tests.factories import ServiceFactory, StaffMemberFactory
from slots.availability import availability_for_day
from slots.services import slots_block_range, slots_sync_for_staff

pytestmark = pytest.mark.django_db


def url(salon):
    return reverse("staff:desk_booking", kwargs={"slug": salon.slug})


def tomorrow(salon):
    return timezone.localdate(timezone=salon.tz) + dt.timedelta(days=1)


def offered(body):
    return set(re.findall(r'name="start" value="([^"]+)"', body))


def book(client, salon, service, staff_member, when, **overrides):
    data = {
        "action": "book",
        "service": service.pk,
        "staff": staff_member.pk,
        "date": tomorrow(salon).isoformat(),
        "start": DeskBookingForm.start_value(staff_member.pk, when),
        "customer_name": "Walk In",
        "customer_phone": "07911 123457",
    }
    data.update(overrides)
    return client.post(url(salon), data)


def test_offers_exactly_the_starts_availability_offers(client, salon, service, staff_member, staff_of_salon):
    colleague = StaffMemberFactory(salon=salon, services=[service])
    slots_sync_for_staff(staff_member=colleague, days=3)
    make_booking(service=service, staff_member=staff_member, start=next_local(salon, at=dt.time(10)))
    slots_block_range(
        staff_member=colleague, start=next_local(salon, at=dt.time(12)), end=next_local(salon, at=dt.time(13))
    )
    client.force_login(staff_of_salon)

    body = client.get(url(salon), {"date": tomorrow(salon).isoformat(), "service": service.pk}).content.decode()

    expected = {
        DeskBookingForm.start_value(free.staff_member_id, free.start)
        for free in availability_for_day(salon=salon, day=tomorrow(salon), service=service)
    }
    named = {value for value in offered(body) if not value.startswith("any|")}
    assert named == expected
    assert DeskBookingForm.start_value(staff_member.pk, next_local(salon, at=dt.time(10))) not in expected
    # "Any stylist" offers each free start once, whoever has it free.
    anyone = {value for value in offered(body) if value.startswith("any|")}
    free_starts = {free.start for free in availability_for_day(salon=salon, day=tomorrow(salon), service=service)}
    assert anyone == {DeskBookingForm.start_value(None, start) for start in free_starts}


def test_prefilled_from_an_agenda_cell(client, salon, service, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    start = next_local(salon, at=dt.time(11, 15))
    response = client.get(
        url(salon),
        {"staff": staff_member.pk, "date": tomorrow(salon).isoformat(), "start": start.astimezone(dt.UTC).isoformat()},
    )
    value = DeskBookingForm.start_value(staff_member.pk, start)
    assert f'value="{value}" checked' in response.content.decode()


def test_books_with_the_staff_user_as_actor(client, salon, service, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    start = next_local(salon, at=dt.time(11))

    response = book(client, salon, service, staff_member, start)

    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("staff:booking", kwargs={"reference": booking.reference})
    assert (booking.start, booking.customer_phone) == (start, "+447911123457")
    first = booking.history.first()
    assert (first.actor, first.actor_user) == (BookingStatusChange.Actor.STAFF, staff_of_salon)


def test_anyone_free_books_the_staff_member_of_the_chosen_time(client, salon, service, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    start = next_local(salon, at=dt.time(11))
    book(client, salon, service, staff_member, start, staff="")
    assert Booking.objects.get().staff_member == staff_member


def test_missing_and_bad_fields_are_shown_next_to_them(client, salon, service, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    response = book(
        client, salon, service, staff_member, next_local(salon), customer_name="", customer_phone="12", start=""
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Enter the customer&#x27;s name." in body
    assert "Choose one of the free times." in body
    assert Booking.objects.count() == 0

    response = book(client, salon, service, staff_member, next_local(salon), customer_phone="12")
    body = response.content.decode()
    assert "Enter a valid phone number" in body
    assert 'aria-invalid="true"' in body
    assert Booking.objects.count() == 0


def test_a_slot_taken_meanwhile_says_so_plainly(client, salon, service, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    start = next_local(salon, at=dt.time(16))
    make_booking(service=service, staff_member=staff_member, start=start)  # someone else, via the app

    response = book(client, salon, service, staff_member, start)

    assert response.status_code == 200
    assert "16:00 with" in response.content.decode() and "has just been taken" in response.content.decode()
    assert Booking.objects.count() == 1


def test_a_start_off_the_grid_is_refused_without_an_error_page(client, salon, service, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    response = book(client, salon, service, staff_member, next_local(salon, at=dt.time(11, 7)))
    assert response.status_code == 200
    assert Booking.objects.count() == 0
    assert "errorlist" in response.content.decode()


def test_a_forged_start_value_is_a_field_error(client, salon, service, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    response = book(client, salon, service, staff_member, next_local(salon), start="x|yesterday")
    assert response.status_code == 200
    assert "Choose one of the free times." in response.content.decode()


def test_listing_times_creates_nothing(client, salon, service, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    longer = ServiceFactory(salon=salon, name="Colour", duration_minutes=90)
    staff_member.services.add(longer)
    response = book(client, salon, longer, staff_member, next_local(salon), action="times")
    assert response.status_code == 200
    assert offered(response.content.decode())
    assert Booking.objects.count() == 0


def test_staff_of_another_salon_cannot_book_here(client, salon, service, staff_member, staff_of_other_salon):
    client.force_login(staff_of_other_salon)
    assert book(client, salon, service, staff_member, next_local(salon)).status_code == 404
    assert Booking.objects.count() == 0


def test_a_time_with_someone_other_than_the_chosen_staff_member_is_refused(
    client, salon, service, staff_member, staff_of_salon
):
    colleague = StaffMemberFactory(salon=salon, services=[service])
    slots_sync_for_staff(staff_member=colleague, days=3)
    client.force_login(staff_of_salon)
    start = next_local(salon, at=dt.time(11))

    response = book(client, salon, service, staff_member, start, start=DeskBookingForm.start_value(colleague.pk, start))

    assert response.status_code == 200
    assert "Choose one of the free times shown." in response.content.decode()
    assert Booking.objects.count() == 0


def test_a_time_with_another_salons_staff_member_is_refused(client, salon, service, staff_member, staff_of_salon):
    elsewhere = StaffMemberFactory(name="Elsewhere", services=[ServiceFactory()])
    client.force_login(staff_of_salon)
    start = next_local(salon, at=dt.time(11))

    response = book(
        client, salon, service, staff_member, start, staff="", start=DeskBookingForm.start_value(elsewhere.pk, start)
    )

    assert "Choose one of the free times shown." in response.content.decode()
    assert Booking.objects.count() == 0


def test_any_stylist_books_whoever_is_free_then(client, salon, service, staff_member, staff_of_salon):
    colleague = StaffMemberFactory(salon=salon, services=[service])
    slots_sync_for_staff(staff_member=colleague, days=3)
    start = next_local(salon, at=dt.time(11))
    make_booking(service=service, staff_member=staff_member, start=start)
    client.force_login(staff_of_salon)
    response = book(
        client, salon, service, staff_member, start, staff="", start=DeskBookingForm.start_value(None, start)
    )
    assert response.status_code == 302
    booked = Booking.objects.get(start=start, customer_name="Walk In")
    assert booked.staff_member == colleague


def test_desk_books_a_standing_appointment(client, salon, service, staff_member, staff_of_salon):
    slots_sync_for_staff(staff_member=staff_member, days=30)
    client.force_login(staff_of_salon)
    start = next_local(salon, at=dt.time(11))
    response = book(client, salon, service, staff_member, start, repeat_every_weeks=1, repeat_count=3)
    assert response.status_code == 302
    booked = Booking.objects.filter(customer_name="Walk In").order_by("start")
    assert [b.start for b in booked] == [start + dt.timedelta(weeks=n) for n in range(3)]
    assert len({b.series_id for b in booked}) == 1 and booked[0].series_id is not None


def test_desk_books_a_standing_appointment_with_any_stylist(client, salon, service, staff_member, staff_of_salon):
    colleague = StaffMemberFactory(salon=salon, services=[service], name="Zoe Colleague")
    for member in (staff_member, colleague):
        slots_sync_for_staff(staff_member=member, days=30)
    client.force_login(staff_of_salon)
    start = next_local(salon, at=dt.time(11))
    make_booking(service=service, staff_member=staff_member, start=start + dt.timedelta(weeks=2), name="Regular")
    response = book(
        client,
        salon,
        service,
        staff_member,
        start,
        staff="",
        start=DeskBookingForm.start_value(None, start),
        repeat_every_weeks=1,
        repeat_count=3,
    )
    assert response.status_code == 302
    booked = Booking.objects.filter(customer_name="Walk In")
    assert booked.count() == 3 and {b.staff_member for b in booked} == {colleague}


def test_desk_repeat_with_a_taken_week_books_nothing_and_says_which(
    client, salon, service, staff_member, staff_of_salon
):
    slots_sync_for_staff(staff_member=staff_member, days=30)
    client.force_login(staff_of_salon)
    start = next_local(salon, at=dt.time(11))
    make_booking(service=service, staff_member=staff_member, start=start + dt.timedelta(weeks=1), name="Regular")
    response = book(client, salon, service, staff_member, start, repeat_every_weeks=1, repeat_count=3)
    assert response.status_code == 200
    assert "1 of the 3 times are not free" in response.content.decode()
    assert not Booking.objects.filter(customer_name="Walk In").exists()


def test_desk_repeat_needs_both_fields(client, salon, service, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    response = book(client, salon, service, staff_member, next_local(salon, at=dt.time(11)), repeat_every_weeks=2)
    assert response.status_code == 200
    assert "Give both how often and how many times" in response.content.decode()
    assert not Booking.objects.exists()
