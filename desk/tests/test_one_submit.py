"""One submit, one result at the desk: "Book" sent twice (a double click, a
resent page), alone or as a standing appointment, books once; the second
submit is sent to the same booking with "Already saved.".

The races (eight browsers sending one rendered form at once) run on
PostgreSQL, where the key's unique index makes the later submits wait for
the first one's commit.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, BookingSeries
from bookings.tests.factories import next_local
from desk.forms import DeskBookingForm
from salonbook.tests.races import form_key_on, posts, race
from salons.tests.factories import StaffMemberFactory
from slots.services import slots_sync_for_staff

RACERS = 8


def _url(salon):
    return reverse("staff:desk_booking", kwargs={"slug": salon.slug})


def _form(client, salon, service, member, start, **more):
    """The desk's form as the page renders it, its one-time key included."""
    page = client.get(_url(salon)).content.decode()
    return {
        "action": "book",
        "service": service.pk,
        "staff": member.pk if member else "",
        "date": timezone.localdate(start, timezone=salon.tz).isoformat(),
        "start": DeskBookingForm.start_value(member.pk if member else None, start),
        "customer_name": "Walk In",
        "customer_phone": "07911 123457",
        "form_key": form_key_on(page),
        **more,
    }


def _booking_page(booking):
    return reverse("staff:booking", kwargs={"reference": booking.reference})


@pytest.mark.django_db
def test_book_sent_twice_books_once_and_the_second_goes_to_the_same_booking(
    client, salon, service, staff_member, staff_of_salon
):
    client.force_login(staff_of_salon)
    form = _form(client, salon, service, staff_member, next_local(salon, at=dt.time(11)))

    first = client.post(_url(salon), form)
    second = client.post(_url(salon), form)

    booking = Booking.objects.get()
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == _booking_page(booking)
    assert [str(m) for m in get_messages(second.wsgi_request)][-1] == "Already saved."


@pytest.mark.django_db
def test_the_same_customer_booked_again_at_that_time_is_told_next_to_the_phone(
    client, salon, service, staff_member, staff_of_salon
):
    """Two forms (two keys), one customer and one start: the database's rule
    for live bookings answers, with any stylist, not a second booking."""
    colleague = StaffMemberFactory(salon=salon, services=[service])
    slots_sync_for_staff(staff_member=colleague, days=3)
    client.force_login(staff_of_salon)
    start = next_local(salon, at=dt.time(11))
    client.post(_url(salon), _form(client, salon, service, staff_member, start))

    again = client.post(_url(salon), _form(client, salon, service, None, start))

    assert again.status_code == 200
    assert "This phone already has a booking at that time." in again.content.decode()
    assert Booking.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_book_sent_by_eight_browsers_at_once_books_once(postgres_only, client, salon, service, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    form = _form(client, salon, service, staff_member, next_local(salon, at=dt.time(11)))

    outcomes = race(posts(staff_of_salon, _url(salon), form, times=RACERS))

    booking = Booking.objects.get()
    assert outcomes == Counter({f"302 {_booking_page(booking)}": RACERS}), outcomes


@pytest.mark.django_db(transaction=True)
def test_any_stylist_sent_by_eight_browsers_at_once_books_once(
    postgres_only, client, salon, service, staff_member, staff_of_salon
):
    """With three stylists free, a form without its key's guard could book
    the customer with each of them."""
    for _ in range(2):
        slots_sync_for_staff(staff_member=StaffMemberFactory(salon=salon, services=[service]), days=3)
    client.force_login(staff_of_salon)
    form = _form(client, salon, service, None, next_local(salon, at=dt.time(11)))

    outcomes = race(posts(staff_of_salon, _url(salon), form, times=RACERS))

    booking = Booking.objects.get()
    assert outcomes == Counter({f"302 {_booking_page(booking)}": RACERS}), outcomes


@pytest.mark.django_db(transaction=True)
def test_a_standing_appointment_sent_by_eight_browsers_at_once_is_one_series(
    postgres_only, client, salon, service, staff_member, staff_of_salon
):
    slots_sync_for_staff(staff_member=staff_member, days=30)
    client.force_login(staff_of_salon)
    start = next_local(salon, at=dt.time(11))
    form = _form(client, salon, service, staff_member, start, repeat_every_weeks=1, repeat_count=3)

    outcomes = race(posts(staff_of_salon, _url(salon), form, times=RACERS))

    series = BookingSeries.objects.get()
    bookings = list(Booking.objects.order_by("start"))
    assert [b.start for b in bookings] == [start + dt.timedelta(weeks=n) for n in range(3)]
    assert {b.series_id for b in bookings} == {series.pk}
    assert outcomes == Counter({f"302 {_booking_page(bookings[0])}": RACERS}), outcomes
