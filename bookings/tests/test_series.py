"""Standing appointments: all or none, the salon's wall clock across the
clock changes, and cancelling the rest."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from bookings.booking_plans import Repeat, booking_book, booking_series_cancel
from bookings.messages.about import booking_subject
from bookings.messages.texts import local_time_text
from bookings.models import Booking, BookingSeries
from bookings.services import Actor, Customer
from bookings.tests.factories import make_booking, next_local
from bookings.tests.helpers import messages_of
from messaging.models import Message
from messaging.texts import message_text
from salonbook.errors import InvalidInput, NotAllowed, SlotUnavailable
from salonbook.tests.helpers import booking_body, client_for, error_of
from salons.tests.factories import SalonFactory, ServiceFactory, StaffMemberFactory
from slots.models import Slot
from slots.services import slots_sync_for_staff

pytestmark = pytest.mark.django_db

# Other customers than the one the series is for: one phone has one booking at a start.
OTHER, REGULAR = "+447911123499", "+447911123498"

LONDON = zoneinfo.ZoneInfo("Europe/London")
ANA = Customer("Ana Silva", "+447911123456")


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATELIMIT_ENABLE = False


@pytest.fixture
def month_of_slots(staff_member):
    slots_sync_for_staff(staff_member=staff_member, days=30)
    return staff_member


def _series(service, member, start, *, every=1, count=3, actor=None, now=None):
    return booking_book(
        salon=service.salon,
        service=service,
        staff_member=member,
        start=start,
        customer=ANA,
        repeat=Repeat(every, count),
        actor=actor or Actor.staff(None),
        now=now,
    )


def test_a_series_books_each_week_as_a_normal_booking(service, month_of_slots):
    start = next_local(service.salon, days=1, at=dt.time(10))
    booked = _series(service, month_of_slots, start, every=1, count=4)
    assert [b.start for b in booked.bookings] == [start + dt.timedelta(weeks=n) for n in range(4)]
    assert all(b.series == booked.series and b.status == "confirmed" for b in booked.bookings)
    assert len({b.reference for b in booked.bookings}) == 4
    assert Booking.objects.filter(series=booked.series).count() == 4
    assert Slot.objects.filter(status=Slot.Status.BOOKED).count() == 8  # 30 minutes = two slots each


def test_one_taken_week_books_nothing_and_names_it(service, month_of_slots):
    salon = service.salon
    start = next_local(salon, days=1, at=dt.time(10))
    taken = start + dt.timedelta(weeks=2, minutes=15)  # overlaps the third occurrence
    make_booking(service=service, staff_member=month_of_slots, start=taken, name="Other", phone=OTHER)
    with pytest.raises(SlotUnavailable) as refused:
        _series(service, month_of_slots, start, every=1, count=4)
    assert refused.value.details["conflicts"] == [(start + dt.timedelta(weeks=2)).isoformat()]
    assert Booking.objects.count() == 1
    assert BookingSeries.objects.count() == 0
    assert Slot.objects.filter(status=Slot.Status.BOOKED).count() == 2


def test_a_week_with_no_slots_is_a_conflict(service, month_of_slots):
    start = next_local(service.salon, days=1, at=dt.time(10))
    Slot.objects.filter(start=start + dt.timedelta(weeks=1)).delete()  # a day off
    with pytest.raises(SlotUnavailable) as refused:
        _series(service, month_of_slots, start, every=1, count=3)
    assert len(refused.value.details["conflicts"]) == 1
    assert not Booking.objects.exists()


def test_bad_customer_details_are_a_400_not_conflicts(service, month_of_slots):
    start = next_local(service.salon, days=1, at=dt.time(10))
    with pytest.raises(InvalidInput) as refused:
        booking_book(
            salon=service.salon,
            service=service,
            staff_member=month_of_slots,
            start=start,
            customer=Customer("", "+447911123456"),
            repeat=Repeat(1, 2),
            actor=Actor.staff(None),
        )
    assert "customer_name" in refused.value.details
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    ("first_day", "change_day"),
    [(dt.date(2030, 3, 24), dt.date(2030, 3, 31)), (dt.date(2030, 10, 20), dt.date(2030, 10, 27))],
    ids=["clocks-forward", "clocks-back"],
)
def test_occurrences_keep_the_wall_clock_time_across_the_clock_change(first_day, change_day):
    salon = SalonFactory(timezone="Europe/London")
    service = ServiceFactory(salon=salon, duration_minutes=30)
    member = StaffMemberFactory(salon=salon, services=[service], hours=(dt.time(9), dt.time(17)))
    now = dt.datetime.combine(first_day - dt.timedelta(days=3), dt.time(12), tzinfo=LONDON)
    slots_sync_for_staff(staff_member=member, days=20, now=now)
    start = dt.datetime.combine(first_day, dt.time(10), tzinfo=LONDON)

    booked = _series(service, member, start, every=1, count=3, now=now)

    local = [timezone.localtime(b.start, LONDON) for b in booked.bookings]
    assert [t.time() for t in local] == [dt.time(10)] * 3
    assert [t.date() for t in local] == [first_day, change_day, change_day + dt.timedelta(weeks=1)]
    offsets = {t.utcoffset() for t in local}
    assert len(offsets) == 2  # 10:00 GMT and 10:00 BST are different instants an hour apart
    assert booked.bookings[1].start - booked.bookings[0].start != dt.timedelta(weeks=1)


def test_a_wall_time_the_clocks_skip_is_a_conflict_not_a_booking_an_hour_later(db):
    salon = SalonFactory(timezone="Europe/London")
    service = ServiceFactory(salon=salon, duration_minutes=30)
    # Works through the night, so 02:30 BST, what the zone makes of the
    # missing 01:30 on 31 March, has a free slot the series could take.
    member = StaffMemberFactory(salon=salon, services=[service], hours=(dt.time(0), dt.time(4)))
    now = dt.datetime(2030, 3, 20, 12, tzinfo=LONDON)
    slots_sync_for_staff(staff_member=member, days=20, now=now)
    start = dt.datetime(2030, 3, 24, 1, 30, tzinfo=LONDON)

    with pytest.raises(SlotUnavailable) as refused:
        _series(service, member, start, every=1, count=2, now=now)

    assert len(refused.value.details["conflicts"]) == 1
    assert not Booking.objects.exists()


@pytest.mark.parametrize(("every", "count"), [(0, 3), (53, 3), (1, 1), (1, 27)])
def test_out_of_range_repeats_are_400(client, service, month_of_slots, staff_of_salon, every, count):
    body = booking_body(
        salon=service.salon,
        service=service,
        staff_member=month_of_slots,
        start=next_local(service.salon),
        repeat={"every_weeks": every, "count": count},
    )
    error = error_of(client_for(staff_of_salon).post("/api/bookings/", body, format="json"), 400, "invalid")
    assert "repeat" in error["details"]


# --- API ------------------------------------------------------------------------------------


def _api_series(client, service, member, start, **repeat):
    body = booking_body(
        salon=service.salon,
        service=service,
        staff_member=member,
        start=start,
        repeat=repeat or {"every_weeks": 1, "count": 3},
    )
    return client.post("/api/bookings/", body, format="json")


def test_staff_book_a_series_over_the_api(service, month_of_slots, staff_of_salon):
    start = next_local(service.salon, days=1)
    response = _api_series(client_for(staff_of_salon, token=True), service, month_of_slots, start)
    assert response.status_code == 201, response.json()
    body = response.json()
    series = BookingSeries.objects.get()
    assert body["series"] == str(series.pk)
    assert [b["start"] for b in body["bookings"]] == [(start + dt.timedelta(weeks=n)).isoformat() for n in range(3)]
    assert all(b["manage_token"] for b in body["bookings"])
    # Booked by staff: the history says so.
    assert Booking.objects.first().history.first().actor == "staff"


def test_api_series_conflicts_are_409_with_the_taken_starts(service, month_of_slots, staff_of_salon):
    start = next_local(service.salon, days=1)
    make_booking(service=service, staff_member=month_of_slots, start=start + dt.timedelta(weeks=1), name="Other", phone=OTHER)
    response = _api_series(client_for(staff_of_salon), service, month_of_slots, start)
    error = error_of(response, 409, "slot_unavailable")
    assert error["details"]["conflicts"] == [(start + dt.timedelta(weeks=1)).isoformat()]
    assert Booking.objects.count() == 1


def test_customers_cannot_book_a_series_where_the_salon_does_not_allow_it(service, month_of_slots):
    assert service.salon.customers_book_series is False  # the default
    response = _api_series(APIClient(), service, month_of_slots, next_local(service.salon, days=1))
    error = error_of(response, 403, "permission_denied")
    assert error["message"] == f"Standing appointments at {service.salon.name} are booked by the salon's staff."
    assert not Booking.objects.exists()
    assert not BookingSeries.objects.exists()


@pytest.fixture
def series_for_customers(service, month_of_slots):
    """The salon lets its customers book standing appointments online."""
    salon = service.salon
    salon.customers_book_series = True
    salon.save(update_fields=["customers_book_series"])
    return month_of_slots


def test_customers_book_a_series_where_the_salon_allows_it(service, series_for_customers):
    start = next_local(service.salon, days=2)
    response = _api_series(APIClient(), service, series_for_customers, start, every_weeks=1, count=3)
    assert response.status_code == 201, response.json()
    body = response.json()
    series = BookingSeries.objects.get()
    assert body["series"] == str(series.pk)
    assert [b["start"] for b in body["bookings"]] == [(start + dt.timedelta(weeks=n)).isoformat() for n in range(3)]
    bookings = {b.reference: b for b in Booking.objects.filter(series=series)}
    assert set(bookings) == {b["reference"] for b in body["bookings"]}
    # Each booking's own token, given to the customer who booked: the only way they can manage it.
    tokens = [b["manage_token"] for b in body["bookings"]]
    assert len(set(tokens)) == 3
    for answered in body["bookings"]:
        booking = bookings[answered["reference"]]
        assert booking.token_matches(answered["manage_token"])
        assert [h.actor for h in booking.history.all()] == ["customer", "system"]  # booked, then auto-confirmed
        shown = client_for(booking_token=answered["manage_token"]).get(f"/api/bookings/{booking.reference}/")
        assert shown.status_code == 200
    # Any of the tokens cancels the rest of the series.
    cancelled = _cancel(client_for(booking_token=tokens[1]), series.pk)
    assert cancelled.status_code == 200, cancelled.json()
    assert cancelled.json()["cancelled"] == [b["reference"] for b in body["bookings"]]


def test_a_customer_series_is_announced_once_and_each_occurrence_is_reminded(service, series_for_customers):
    salon = service.salon
    salon.whatsapp_phone = "+447911000999"
    salon.save(update_fields=["whatsapp_phone"])
    start = next_local(salon, days=2)
    booked = _series(service, series_for_customers, start, every=2, count=2, actor=Actor.customer())
    first = booked.bookings[0]
    kinds = Message.objects.exclude(kind__startswith="reminder_").values_list("subject", "kind")
    assert sorted(kinds) == [(booking_subject(first.pk), "booking_confirmed"), (booking_subject(first.pk), "salon_new_booking")]
    last_on = local_time_text(salon, booked.bookings[-1].start)
    confirmation = message_text(messages_of(first).get(kind="booking_confirmed"))
    assert f"It repeats every 2 weeks, 2 times in all, the last on {last_on}." in confirmation
    alert = message_text(messages_of(first).get(kind="salon_new_booking"))
    assert f"Every 2 weeks, 2 times, the last on {last_on}." in alert
    for booking in booked.bookings:
        assert messages_of(booking).filter(kind="reminder_24h").exists()


def test_a_single_booking_says_nothing_of_repeats(service, staff_member):
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=2))
    text = message_text(messages_of(booking).get(kind="booking_confirmed"))
    assert "repeats" not in text and "\n\n" not in text


def test_a_series_booked_by_staff_tells_the_customer_once(service, month_of_slots):
    booked = _series(service, month_of_slots, next_local(service.salon, days=2), every=1, count=4)
    announced = Message.objects.exclude(kind__startswith="reminder_").values_list("subject", "kind")
    assert list(announced) == [(booking_subject(booked.bookings[0].pk), "booking_confirmed")]
    assert "It repeats every week, 4 times in all" in message_text(
        messages_of(booked.bookings[0]).get(kind="booking_confirmed")
    )


def test_a_customer_series_with_a_taken_week_books_nothing(service, series_for_customers):
    start = next_local(service.salon, days=2)
    make_booking(service=service, staff_member=series_for_customers, start=start + dt.timedelta(weeks=2), name="Other", phone=OTHER)
    response = _api_series(APIClient(), service, series_for_customers, start, every_weeks=1, count=3)
    error = error_of(response, 409, "slot_unavailable")
    assert error["details"]["conflicts"] == [(start + dt.timedelta(weeks=2)).isoformat()]
    assert Booking.objects.count() == 1
    assert not BookingSeries.objects.exists()
    assert Slot.objects.filter(status=Slot.Status.BOOKED).count() == 2


def test_a_customer_series_reaching_past_the_booking_window_books_nothing(service, series_for_customers):
    assert service.salon.booking_window_days == 30
    start = next_local(service.salon, days=3)  # the third time, four weeks later, is 31 days ahead
    response = _api_series(APIClient(), service, series_for_customers, start, every_weeks=2, count=3)
    error_of(response, 400, "outside_booking_window")
    assert not Booking.objects.exists()
    assert not BookingSeries.objects.exists()
    assert not Slot.objects.filter(status=Slot.Status.BOOKED).exists()


def test_a_customer_series_keeps_the_minimum_notice(service, series_for_customers, staff_of_salon):
    salon = service.salon
    salon.minimum_notice_minutes = 3 * 24 * 60
    salon.save(update_fields=["minimum_notice_minutes"])
    start = next_local(salon, days=1)
    error_of(_api_series(APIClient(), service, series_for_customers, start), 400, "minimum_notice")
    assert not Booking.objects.exists()
    # Staff at the desk are not held to it.
    assert _api_series(client_for(staff_of_salon), service, series_for_customers, start).status_code == 201


def test_staff_of_another_salon_cannot_book_a_series_here(service, month_of_slots, staff_of_other_salon):
    response = _api_series(client_for(staff_of_other_salon), service, month_of_slots, next_local(service.salon, days=1))
    error_of(response, 403, "permission_denied")


# --- With anyone free -------------------------------------------------------------------------


@pytest.fixture
def colleague(service, month_of_slots):
    """A second stylist who does the service, made after the first."""
    member = StaffMemberFactory(salon=service.salon, services=[service], name="Zoe Colleague")
    slots_sync_for_staff(staff_member=member, days=30)
    return member


def _series_with_anyone(service, start, *, count=3):
    return _series(service, None, start, every=1, count=count)


def test_a_series_with_anyone_goes_to_one_stylist_free_every_time(service, month_of_slots, colleague):
    start = next_local(service.salon, days=1, at=dt.time(10))
    # The first stylist (the lower id, so first in line) is taken in week two:
    # the whole series goes to the colleague, not a mix of the two.
    make_booking(service=service, staff_member=month_of_slots, start=start + dt.timedelta(weeks=1), name="Regular", phone=REGULAR)
    booked = _series_with_anyone(service, start)
    assert {b.staff_member for b in booked.bookings} == {colleague}
    assert [b.start for b in booked.bookings] == [start + dt.timedelta(weeks=n) for n in range(3)]


def test_a_series_with_anyone_prefers_the_least_booked_that_day(service, month_of_slots, colleague):
    start = next_local(service.salon, days=1, at=dt.time(10))
    make_booking(service=service, staff_member=month_of_slots, start=start + dt.timedelta(hours=2), name="Regular", phone=REGULAR)
    assert {b.staff_member for b in _series_with_anyone(service, start).bookings} == {colleague}


def test_a_series_nobody_is_free_for_every_time_names_the_closest_and_books_nothing(service, month_of_slots, colleague):
    start = next_local(service.salon, days=1, at=dt.time(10))
    week = dt.timedelta(weeks=1)
    make_booking(service=service, staff_member=month_of_slots, start=start + week, name="Regular", phone=REGULAR)
    make_booking(service=service, staff_member=month_of_slots, start=start + 2 * week, name="Regular", phone=REGULAR)
    make_booking(service=service, staff_member=colleague, start=start + 2 * week, name="Other", phone=OTHER)
    with pytest.raises(SlotUnavailable) as error:
        _series_with_anyone(service, start)
    # The colleague has one taken time, the first stylist two: the colleague's is named.
    assert error.value.details["conflicts"] == [timezone.localtime(start + 2 * week, service.salon.tz).isoformat()]
    assert not Booking.objects.exclude(customer_name__in=["Regular", "Other"]).exists()
    assert not BookingSeries.objects.exists()


def test_a_series_with_anyone_when_nobody_is_free_at_the_first_time(service, month_of_slots):
    start = next_local(service.salon, days=1, at=dt.time(10))
    make_booking(service=service, staff_member=month_of_slots, start=start, name="Regular", phone=REGULAR)
    with pytest.raises(SlotUnavailable) as error:
        _series_with_anyone(service, start)
    assert error.value.details["conflicts"] == [timezone.localtime(start, service.salon.tz).isoformat()]
    assert Booking.objects.count() == 1


def test_api_series_with_anyone_answers_who(service, month_of_slots, colleague, staff_of_salon):
    body = booking_body(
        salon=service.salon,
        service=service,
        staff_member=month_of_slots,
        start=next_local(service.salon, days=1),
        staff=None,
        repeat={"every_weeks": 2, "count": 2},
    )
    response = client_for(staff_of_salon).post("/api/bookings/", body, format="json")
    assert response.status_code == 201, response.json()
    assert [b["staff"]["id"] for b in response.json()["bookings"]] == [month_of_slots.pk] * 2


# --- Cancelling the rest ----------------------------------------------------------------------


@pytest.fixture
def series(service, month_of_slots):
    return _series(service, month_of_slots, next_local(service.salon, days=1), every=1, count=3)


def _cancel(client, series_id, **headers):
    return client.post(f"/api/series/{series_id}/cancel/", {"reason": "moving away"}, format="json", **headers)


def test_staff_cancel_the_rest_of_a_series(series, staff_of_salon):
    first = series.bookings[0]
    # The first has happened: only the ones ahead are cancelled.
    later = timezone.now() + dt.timedelta(days=2)
    outcome = booking_series_cancel(series=series.series, actor=Actor.staff(staff_of_salon), now=later)
    assert [b.reference for b in outcome.cancelled] == [b.reference for b in series.bookings[1:]]
    first.refresh_from_db()
    assert first.status == "confirmed"
    assert Booking.objects.filter(series=series.series, status="cancelled").count() == 2
    assert booking_series_cancel(series=series.series, actor=Actor.staff(staff_of_salon), now=later).cancelled == []


def test_api_series_cancel_by_staff(series, staff_of_salon):
    response = _cancel(client_for(staff_of_salon, token=True), series.series.pk)
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "series": str(series.series.pk),
        "cancelled": [b.reference for b in series.bookings],
        "kept": [],
    }
    assert not Booking.objects.filter(status="confirmed").exists()


def test_api_series_cancel_by_the_customer_keeps_those_inside_the_cutoff(series):
    # The first is tomorrow (under 35 hours away at any time of day), inside a
    # 72-hour cut-off: kept. The others are a week and more away.
    series.series.salon.cancellation_cutoff_hours = 72
    series.series.salon.save(update_fields=["cancellation_cutoff_hours"])
    token = series.bookings[2].manage_token  # any booking's token of the series will do
    response = _cancel(client_for(booking_token=token), series.series.pk)
    assert response.status_code == 200, response.json()
    assert response.json()["kept"] == [series.bookings[0].reference]
    assert response.json()["cancelled"] == [b.reference for b in series.bookings[1:]]


@pytest.mark.parametrize("who", ["anonymous", "wrong_token", "other_series_token", "staff_elsewhere"])
def test_api_series_cancel_by_anyone_else_is_404(series, service, staff_member, staff_of_other_salon, who):
    other = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=2))
    client = {
        "anonymous": APIClient(),
        "wrong_token": client_for(booking_token="nope"),
        "other_series_token": client_for(booking_token=other.manage_token),
        "staff_elsewhere": client_for(staff_of_other_salon),
    }[who]
    error_of(_cancel(client, series.series.pk), 404)
    assert Booking.objects.filter(status="cancelled").count() == 0


def test_staff_page_cancels_the_rest_of_the_series(client, series, staff_of_salon):
    client.force_login(staff_of_salon)
    first = series.bookings[0]
    page = client.get(reverse("staff:booking", kwargs={"reference": first.reference})).content.decode()
    assert "Cancel the rest of the series" in page
    response = client.post(
        reverse("staff:booking_series_cancel", kwargs={"reference": first.reference}), {"series-reason": "moved"}
    )
    assert response.status_code == 302
    assert Booking.objects.filter(series=series.series, status="cancelled").count() == 3
    assert Booking.objects.filter(series=series.series).first().history.last().note == "moved"


def test_staff_page_of_a_single_booking_offers_no_series_cancel(client, service, staff_member, staff_of_salon):
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=2))
    client.force_login(staff_of_salon)
    page = client.get(reverse("staff:booking", kwargs={"reference": booking.reference})).content.decode()
    assert "Cancel the rest of the series" not in page


def test_a_customer_series_is_refused_by_the_service_where_the_salon_does_not_allow_it(service, month_of_slots):
    assert not service.salon.customers_book_series
    with pytest.raises(NotAllowed):
        _series(service, month_of_slots, next_local(service.salon), actor=Actor.customer())
    assert not Booking.objects.exists()
