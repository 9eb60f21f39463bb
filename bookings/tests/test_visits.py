"""Visits: several services in a row, processing time, and a shared station.

The salon: Alice does Colour and Beard Trim, Ben does Cut & Finish, Chloe
does Colour. Colour is 30 minutes of work, 30 of processing (the stylist is
free), 30 of work, and needs the salon's one Colour station throughout.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from bookings.booking_plans import PartChoice, Repeat, booking_book
from bookings.calendar_feed import staff_feed_ics
from bookings.messages.texts import booking_context
from bookings.models import Booking, BookingPart
from bookings.selectors import parts_for_staff_feed
from bookings.services import (
    Actor,
    BookingRequest,
    Customer,
    PartRequest,
    booking_cancel,
    booking_create,
    booking_reschedule,
)
from messaging.kinds import Kind
from messaging.models import Message
from messaging.texts import render_text
from reports.selectors import salon_report
from resources.models import Resource, ResourceHold
from resources.services import resource_save
from salonbook.errors import SlotUnavailable
from salons.tests.factories import SalonFactory, ServiceFactory, StaffMemberFactory
from slots.availability import availability_for_day
from slots.models import Slot
from slots.services import slots_generate, slots_sync_for_staff
from slots.visits import PartAsk, free_visits

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    salon = SalonFactory(slot_minutes=15, minimum_notice_minutes=0)
    colour = ServiceFactory(
        salon=salon, name="Colour", duration_minutes=90, processing_after_minutes=30, processing_minutes=30
    )
    cut = ServiceFactory(salon=salon, name="Cut & Finish", duration_minutes=45, buffer_minutes=15)
    beard = ServiceFactory(salon=salon, name="Beard Trim", duration_minutes=15)
    hours = (dt.time(9), dt.time(18))
    alice = StaffMemberFactory(salon=salon, name="Alice", services=[colour, beard], hours=hours)
    ben = StaffMemberFactory(salon=salon, name="Ben", services=[cut], hours=hours)
    chloe = StaffMemberFactory(salon=salon, name="Chloe", services=[colour], hours=hours)
    station = resource_save(resource=Resource(salon=salon, name="Colour station", quantity=1), services=[colour])
    slots_generate(salon=salon, days=5)
    day = dt.date.today() + dt.timedelta(days=2)
    return {
        "salon": salon,
        "colour": colour,
        "cut": cut,
        "beard": beard,
        "alice": alice,
        "ben": ben,
        "chloe": chloe,
        "station": station,
        "day": day,
        "at": lambda h, m=0: dt.datetime.combine(day, dt.time(h, m), tzinfo=salon.tz),
    }


def book(client: APIClient, shop, start: dt.datetime, parts, phone="+447911123456"):
    return client.post(
        reverse("api-bookings"),
        {
            "salon": shop["salon"].slug,
            "start": start.isoformat(),
            "customer_name": "Ana Silva",
            "customer_phone": phone,
            "services": [{"service": service.pk, "staff": member.pk if member else None} for service, member in parts],
        },
        format="json",
    )


def test_colour_then_cut_is_one_booking_with_two_parts(shop):
    client = APIClient()
    response = book(client, shop, shop["at"](10), [(shop["colour"], shop["alice"]), (shop["cut"], shop["ben"])])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [(p["service"]["id"], p["staff"]["id"]) for p in body["parts"]] == [
        (shop["colour"].pk, shop["alice"].pk),
        (shop["cut"].pk, shop["ben"].pk),
    ]
    # The cut starts when the colour ends; the visit ends with the cut.
    assert dt.datetime.fromisoformat(body["parts"][1]["start"]) == shop["at"](11, 30)
    assert dt.datetime.fromisoformat(body["end"]) == shop["at"](12, 15)
    booking = Booking.objects.get(reference=body["reference"])
    assert booking.parts.count() == 2
    confirmations = Message.objects.filter(subject=f"booking:{booking.pk}", kind="booking_confirmed")
    assert confirmations.count() == 1
    # Read back with its token: the same two parts.
    read = client.get(reverse("api-booking", args=[body["reference"]]), HTTP_X_BOOKING_TOKEN=body["manage_token"])
    assert [p["staff"]["id"] for p in read.json()["parts"]] == [shop["alice"].pk, shop["ben"].pk]


def test_while_the_colour_develops_alice_is_offered_for_a_beard_trim(shop):
    book(APIClient(), shop, shop["at"](10), [(shop["colour"], shop["alice"]), (shop["cut"], shop["ben"])])
    starts = {
        f.start
        for f in availability_for_day(
            salon=shop["salon"], day=shop["day"], service=shop["beard"], staff_member_id=shop["alice"].pk
        )
    }
    assert shop["at"](10, 30) in starts and shop["at"](10, 45) in starts
    assert shop["at"](10) not in starts and shop["at"](11) not in starts and shop["at"](11, 15) not in starts
    response = book(APIClient(), shop, shop["at"](10, 30), [(shop["beard"], shop["alice"])], phone="+447911123457")
    assert response.status_code == 201, response.json()


def test_chloe_cannot_start_a_colour_that_needs_the_station_alices_customer_holds(shop):
    book(APIClient(), shop, shop["at"](10), [(shop["colour"], shop["alice"])])
    chloe_starts = {
        f.start
        for f in availability_for_day(
            salon=shop["salon"], day=shop["day"], service=shop["colour"], staff_member_id=shop["chloe"].pk
        )
    }
    # Chloe is free all day, but the station is taken 10:00-11:30.
    assert shop["at"](9) not in chloe_starts and shop["at"](10, 15) not in chloe_starts
    assert shop["at"](8, 30) not in chloe_starts  # before opening
    assert shop["at"](11, 30) in chloe_starts
    response = book(APIClient(), shop, shop["at"](10, 15), [(shop["colour"], shop["chloe"])], phone="+447911123458")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "slot_unavailable"
    assert ResourceHold.objects.filter(resource=shop["station"]).count() == 18  # one visit's 90 minutes


def test_availability_of_a_visit_lists_each_part(shop):
    response = APIClient().get(
        reverse("api-availability", args=[shop["salon"].slug]),
        {"date": shop["day"].isoformat(), "services": f"{shop['colour'].pk},{shop['cut'].pk}", "staff": "any,any"},
    )
    assert response.status_code == 200, response.json()
    first = response.json()["slots"][0]
    assert dt.datetime.fromisoformat(first["start"]) == shop["at"](9)
    assert [p["service"] for p in first["parts"]] == [shop["colour"].pk, shop["cut"].pk]
    assert first["parts"][1]["staff"] == shop["ben"].pk
    assert dt.datetime.fromisoformat(first["parts"][1]["start"]) == shop["at"](10, 30)


def test_anyone_books_each_part_and_the_station_once(shop):
    client = APIClient()
    first = book(client, shop, shop["at"](10), [(shop["colour"], None), (shop["cut"], None)])
    second = book(client, shop, shop["at"](10), [(shop["colour"], None), (shop["cut"], None)], phone="+447911123459")
    assert first.status_code == 201
    # Alice or Chloe is free, but not the one station.
    assert second.status_code == 409


def test_cancelling_a_visit_frees_every_part_and_the_station(shop):
    response = book(APIClient(), shop, shop["at"](10), [(shop["colour"], shop["alice"]), (shop["cut"], shop["ben"])])
    booking = Booking.objects.get(reference=response.json()["reference"])
    booking_cancel(booking=booking, actor=Actor.staff(None))
    assert not ResourceHold.objects.exists()
    assert not Slot.objects.filter(status=Slot.Status.BOOKED).exists()


def test_moving_a_visit_keeps_its_stylists_or_names_the_part_that_does_not_fit(shop):
    response = book(APIClient(), shop, shop["at"](10), [(shop["colour"], shop["alice"]), (shop["cut"], shop["ben"])])
    booking = Booking.objects.get(reference=response.json()["reference"])
    moved = booking_reschedule(booking=booking, start=shop["at"](13), actor=Actor.staff(None))
    parts = list(BookingPart.objects.filter(booking=moved).order_by("position"))
    assert [(p.staff_member_id, p.start) for p in parts] == [
        (shop["alice"].pk, shop["at"](13)),
        (shop["ben"].pk, shop["at"](14, 30)),
    ]
    assert ResourceHold.objects.order_by("cell").first().cell == shop["at"](13)
    # Ben is taken at 16:30, when the cut would start after a 15:00 colour.
    book(APIClient(), shop, shop["at"](16, 30), [(shop["cut"], shop["ben"])], phone="+447911123460")
    with pytest.raises(SlotUnavailable) as refused:
        booking_reschedule(booking=moved, start=shop["at"](15), actor=Actor.staff(None))
    assert refused.value.details == {"part": 1}
    assert BookingPart.objects.get(booking=moved, position=1).start == shop["at"](14, 30)


def test_visit_availability_reads_a_fixed_number_of_queries(shop, django_assert_max_num_queries):
    """The services' staff, their resources, the slots, the holds: however
    many parts, staff members or resources."""
    for n in range(4):
        StaffMemberFactory(salon=shop["salon"], services=[shop["colour"], shop["cut"]])
        resource_save(resource=Resource(salon=shop["salon"], name=f"Basin {n}", quantity=2), services=[shop["cut"]])
    slots_generate(salon=shop["salon"], days=5)
    asks = [PartAsk(shop["colour"]), PartAsk(shop["cut"]), PartAsk(shop["beard"]), PartAsk(shop["cut"])]
    with django_assert_max_num_queries(4):
        found = free_visits(salon=shop["salon"], first_day=shop["day"], days=3, asks=asks, now=dt.datetime.now(dt.UTC))
    assert found


@pytest.mark.parametrize(
    ("language", "joined"), [("en", "Colour, then Cut & Finish"), ("es", "Colour, luego Cut & Finish")]
)
def test_the_one_confirmation_names_every_part(shop, language, joined):
    shop["salon"].language = language
    shop["salon"].save()
    response = book(APIClient(), shop, shop["at"](10), [(shop["colour"], shop["alice"]), (shop["cut"], shop["ben"])])
    booking = Booking.objects.get(reference=response.json()["reference"])
    text = render_text(language=language, kind=Kind.BOOKING_CONFIRMED, context=booking_context(booking))
    assert joined in text
    assert "Alice" in text and "Ben" in text


def test_a_visit_across_the_clocks_going_forward_lasts_what_its_services_last():
    """London, 28 March 2027: at 01:00 the clocks go to 02:00. A colour at
    00:30 ends 90 real minutes later, at 03:00 summer time, where the cut begins."""
    salon = SalonFactory(slot_minutes=15, minimum_notice_minutes=0, booking_window_days=365)
    colour = ServiceFactory(
        salon=salon, name="Colour", duration_minutes=90, processing_after_minutes=30, processing_minutes=30
    )
    cut = ServiceFactory(salon=salon, name="Cut", duration_minutes=45)
    alice = StaffMemberFactory(salon=salon, services=[colour])
    ben = StaffMemberFactory(salon=salon, services=[cut])
    now = dt.datetime(2027, 3, 25, 12, tzinfo=dt.UTC)
    for member in (alice, ben):
        slots_sync_for_staff(staff_member=member, days=5, now=now)
    day = dt.date(2027, 3, 28)
    visits = free_visits(salon=salon, first_day=day, days=1, asks=[PartAsk(colour), PartAsk(cut)], now=now)[day]
    at_half_past_midnight = next(v for v in visits if v.start == dt.datetime(2027, 3, 28, 0, 30, tzinfo=salon.tz))
    assert at_half_past_midnight.parts[1].start.isoformat() == "2027-03-28T03:00:00+01:00"
    request = BookingRequest(
        salon=salon,
        service=colour,
        staff_member=alice,
        start=at_half_past_midnight.start,
        customer=Customer("Ana Silva", "+447911123456"),
        then=(PartRequest(cut, ben),),
    )
    booking = booking_create(request=request, actor=Actor.staff(None), now=now)
    assert booking.end.astimezone(salon.tz).isoformat() == "2027-03-28T03:45:00+01:00"
    # The colour's processing (01:00-01:30 UTC, 02:00-02:30 summer time) stays free for Alice.
    held = Slot.objects.filter(staff_member=alice, status=Slot.Status.BOOKED).order_by("start")
    assert [s.start.astimezone(salon.tz).strftime("%H:%M") for s in held] == ["00:30", "00:45", "02:30", "02:45"]


def test_each_stylists_calendar_feed_shows_their_part_of_a_visit(shop):
    book(APIClient(), shop, shop["at"](10), [(shop["colour"], shop["alice"]), (shop["cut"], shop["ben"])])
    begin, end = shop["at"](0), shop["at"](23)
    alice = parts_for_staff_feed(staff_member=shop["alice"], begin=begin, end=end)
    ben = parts_for_staff_feed(staff_member=shop["ben"], begin=begin, end=end)
    assert [(p.service, p.start) for p in alice] == [(shop["colour"], shop["at"](10))]
    assert [(p.service, p.start, p.end) for p in ben] == [(shop["cut"], shop["at"](11, 30), shop["at"](12, 15))]
    feed = staff_feed_ics(staff_member=shop["ben"], parts=ben).decode()
    assert "DTSTART:" + shop["at"](11, 30).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ") in feed
    assert "Cut & Finish" in feed and "Colour" not in feed


def test_reports_count_a_visit_once_and_its_revenue_once_per_service(shop):
    shop["colour"].price, shop["cut"].price = Decimal("85.00"), Decimal("42.00")
    shop["colour"].save()
    shop["cut"].save()
    response = book(APIClient(), shop, shop["at"](10), [(shop["colour"], shop["alice"]), (shop["cut"], shop["ben"])])
    Booking.objects.filter(reference=response.json()["reference"]).update(status=Booking.Status.COMPLETED)
    report = salon_report(salon=shop["salon"], first_day=shop["day"], last_day=shop["day"])
    assert report.by_status[Booking.Status.COMPLETED] == 1
    assert report.revenue == Decimal("127.00")
    booked = {row.staff_id: row.booked for row in report.staff}
    # Alice works 60 of the colour's 90 minutes; Ben the cut's 45.
    assert booked[shop["alice"].pk] == dt.timedelta(minutes=60)
    assert booked[shop["ben"].pk] == dt.timedelta(minutes=45)


def test_the_agenda_draws_each_part_the_processing_and_the_stations_day(shop, admin_client):
    book(APIClient(), shop, shop["at"](10), [(shop["colour"], shop["alice"]), (shop["cut"], shop["ben"])])
    response = admin_client.get(reverse("staff:agenda", args=[shop["salon"].slug]), {"date": shop["day"].isoformat()})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('<span class="what">Colour · 1 of 2</span>') == 2  # before and after the processing
    assert '<span class="what">Cut &amp; Finish · 2 of 2</span>' in page
    assert "Colour processing" in page
    resources = page[page.index('id="resources-title"') :]
    assert "Colour station" in resources and "10:00–11:30" in resources and "Ana Silva" in resources


def test_the_month_calendar_counts_a_visits_free_starts(shop):
    month = f"{shop['day']:%Y-%m}"
    response = APIClient().get(
        reverse("api-calendar", args=[shop["salon"].slug]),
        {"month": month, "services": f"{shop['colour'].pk},{shop['cut'].pk}", "staff": f"any,{shop['ben'].pk}"},
    )
    assert response.status_code == 200, response.json()
    day = next(d for d in response.json()["days"] if d["date"] == shop["day"].isoformat())
    visits = free_visits(
        salon=shop["salon"],
        first_day=shop["day"],
        days=1,
        now=dt.datetime.now(dt.UTC),
        asks=[PartAsk(shop["colour"]), PartAsk(shop["cut"], shop["ben"].pk)],
    )[shop["day"]]
    assert day["free_starts"] == len(visits) > 0
    assert dt.datetime.fromisoformat(day["first_start"]) == visits[0].start


def test_a_visit_query_with_a_staff_member_per_service_or_a_bad_list_is_a_clear_400(shop):
    url = reverse("api-availability", args=[shop["salon"].slug])
    base = {"date": shop["day"].isoformat(), "services": f"{shop['colour'].pk},{shop['cut'].pk}"}
    assert APIClient().get(url, {**base, "staff": "any"}).json()["error"]["details"]["staff"]
    assert APIClient().get(url, {**base, "staff": f"{shop['ben'].pk},any"}).status_code == 400  # Ben: no colour
    assert APIClient().get(url, {**base, "services": "1,²"}).status_code == 400
    assert APIClient().get(url, {**base, "services": ",".join(["1"] * 6)}).status_code == 400


def test_a_standing_appointment_of_a_visit_is_all_or_none(shop):
    salon = shop["salon"]
    salon.booking_window_days = 60
    salon.save()
    slots_generate(salon=salon, days=20)
    first = shop["at"](10)
    # Ben is taken a week later when the cut would start: nothing is booked.
    book(
        APIClient(), shop, first + dt.timedelta(days=7, minutes=90), [(shop["cut"], shop["ben"])], phone="+447911123461"
    )
    plan = dict(
        salon=salon,
        service=shop["colour"],
        staff_member=shop["alice"],
        start=first,
        customer=Customer("Ana Silva", "+447911123456"),
        repeat=Repeat(every_weeks=1, count=2),
        then=[PartChoice(shop["cut"], shop["ben"])],
        actor=Actor.staff(None),
    )
    with pytest.raises(SlotUnavailable) as refused:
        booking_book(**plan)
    assert len(refused.value.details["conflicts"]) == 1
    assert Booking.objects.count() == 1  # Ben's cut
    assert not ResourceHold.objects.exists()  # the first week's colour, rolled back
    # Every two weeks instead: both visits, each with both parts.
    booked = booking_book(**{**plan, "repeat": Repeat(every_weeks=2, count=2)})
    assert [b.parts.count() for b in booked.bookings] == [2, 2]
    assert {b.series_id for b in booked.bookings} == {booked.series.pk}
