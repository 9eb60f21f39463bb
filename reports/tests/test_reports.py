"""The salon's report for a range of local dates, and its page and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bookings.models import Booking
from bookings.tests.factories import add_booking
from reports.selectors import salon_report
from salons.models import DayOff, SalonClosure, WorkingHours
from salons.tests.factories import ServiceFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db

S = Booking.Status
MONDAY = dt.date(2026, 6, 1)  # British Summer Time: local = UTC + 1
SUNDAY = MONDAY + dt.timedelta(days=6)


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=1)))


@pytest.fixture
def week(salon):
    """Mia works Monday to Friday 9-17 with a 12-13 break (7 h a day); the
    week has a day off on Tuesday and the salon is closed on Wednesday."""
    long = ServiceFactory(salon=salon, name="Colour", duration_minutes=60, price=Decimal("45.00"))
    short = ServiceFactory(salon=salon, name="Trim", duration_minutes=30, price=Decimal("30.00"))
    mia = StaffMemberFactory(salon=salon, name="Mia", services=[long, short], hours=False)
    for weekday in range(5):
        WorkingHours.objects.create(
            staff_member=mia, weekday=weekday, start_time=dt.time(9), end_time=dt.time(17),
            break_start=dt.time(12), break_end=dt.time(13),
        )
    DayOff.objects.create(staff_member=mia, date=MONDAY + dt.timedelta(days=1))
    SalonClosure.objects.create(salon=salon, date_from=MONDAY + dt.timedelta(days=2), date_to=MONDAY + dt.timedelta(days=2))
    plan = [
        (long, MONDAY, 10, 0, S.COMPLETED),
        (short, MONDAY, 14, 0, S.NO_SHOW),
        (long, MONDAY + dt.timedelta(days=3), 10, 0, S.CANCELLED),
        (short, MONDAY + dt.timedelta(days=4), 16, 0, S.CONFIRMED),
        (short, SUNDAY, 23, 15, S.PENDING),  # still Sunday here, Sunday 22:15 in UTC
        (short, SUNDAY + dt.timedelta(days=1), 0, 30, S.COMPLETED),  # next Monday here, Sunday 23:30 in UTC
        (short, MONDAY - dt.timedelta(days=1), 23, 30, S.COMPLETED),  # the Sunday before
    ]
    for service, day, hour, minute, status in plan:
        add_booking(service=service, staff_member=mia, start=_local(day, hour, minute), status=status)
    return {"mia": mia, "long": long}


def test_counts_statuses_revenue_and_rates_of_the_salons_local_dates(salon, week):
    report = salon_report(salon=salon, first_day=MONDAY, last_day=SUNDAY)

    assert report.by_status == {"completed": 1, "confirmed": 1, "pending": 1, "no_show": 1, "cancelled": 1}
    assert report.total == 5
    assert report.revenue == Decimal("45.00")
    assert report.cancellation_rate == 0.2
    assert report.no_show_rate == 0.5


def test_revenue_is_at_the_current_price_of_the_service(salon, week):
    week["long"].price = Decimal("50.00")
    week["long"].save()
    assert salon_report(salon=salon, first_day=MONDAY, last_day=SUNDAY).revenue == Decimal("50.00")


def test_utilisation_is_booked_time_over_working_time_less_breaks_days_off_and_closures(salon, week):
    report = salon_report(salon=salon, first_day=MONDAY, last_day=SUNDAY)

    mia = next(row for row in report.staff if row.name == "Mia")
    assert mia.working == dt.timedelta(hours=21)  # Monday, Thursday, Friday at 7 h
    assert mia.booked == dt.timedelta(minutes=60 + 30 + 30 + 30)  # not the cancelled one
    assert mia.bookings == 4
    assert mia.utilisation == round(150 / (21 * 60), 4)


def test_busiest_hours_are_local_hours(salon, week):
    report = salon_report(salon=salon, first_day=MONDAY, last_day=SUNDAY)
    assert {hour: n for hour, n in enumerate(report.by_hour) if n} == {10: 1, 14: 1, 16: 1, 23: 1}
    assert report.busy_hours == range(10, 24)


def test_no_bookings_gives_empty_rates_not_errors(salon, week):
    report = salon_report(salon=salon, first_day=dt.date(2025, 1, 1), last_day=dt.date(2025, 1, 2))
    assert (report.total, report.cancellation_rate, report.no_show_rate, report.revenue) == (0, None, None, 0)
    assert report.busy_hours == range(24)


def _report_queries(salon, days: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        salon_report(salon=salon, first_day=MONDAY, last_day=MONDAY + dt.timedelta(days=days - 1))
    return len(queries)


def test_queries_are_the_same_for_one_day_and_ninety(salon, week):
    for n in range(90):
        day = MONDAY + dt.timedelta(days=n)
        add_booking(service=week["long"], staff_member=week["mia"], start=_local(day, 9), status=S.COMPLETED)
        DayOff.objects.get_or_create(staff_member=week["mia"], date=day + dt.timedelta(days=7 * (n % 2)))
    assert _report_queries(salon, 1) == _report_queries(salon, 90) == 5


# --- The page and the CSV ---------------------------------------------------------------


def _url(salon, **query):
    base = reverse("staff:reports", kwargs={"slug": salon.slug})
    return base + "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else base


WEEK = {"date_from": MONDAY.isoformat(), "date_to": SUNDAY.isoformat()}


def test_owner_sees_the_report_with_revenue(client, salon, week, owner_of_salon):
    client.force_login(owner_of_salon)
    response = client.get(_url(salon, **WEEK))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Revenue" in body and "£45.00" in body
    assert 'id="report-data"' in body and "chart-hours" in body
    assert "<script>" not in body.replace('<script id="report-data" type="application/json">', "")


def test_stylist_sees_the_report_without_revenue(client, salon, week, staff_of_salon):
    client.force_login(staff_of_salon)
    body = client.get(_url(salon, **WEEK)).content.decode()
    assert "Utilisation per staff member" in body and "£45.00" not in body
    rows = list(csv.reader(io.StringIO(client.get(_url(salon, **WEEK, format="csv")).content.decode())))
    assert not [row for row in rows if row[0] == "revenue"]


def test_csv_download(client, salon, week, owner_of_salon):
    client.force_login(owner_of_salon)
    response = client.get(_url(salon, **WEEK, format="csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="report-2026-06-01-2026-06-07.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["revenue", "completed bookings", "45.00", ""] in rows
    assert ["bookings by status", "No-show", "1", ""] in rows
    assert ["utilisation", "Mia", str(round(150 / 1260, 4)), "2.5 of 21.0 hours"] in rows
    assert ["bookings by hour", "14:00", "1", ""] in rows


@pytest.mark.parametrize(
    "query", [{"date_from": "2026-06-07", "date_to": "2026-06-01"}, {"date_from": "2025-01-01", "date_to": "2026-06-01"}, {"date_from": "nope", "date_to": "2026-06-01"}]
)
def test_a_bad_range_is_refused_with_the_field_named(client, salon, week, owner_of_salon, query):
    client.force_login(owner_of_salon)
    response = client.get(_url(salon, **query))
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()


def test_default_is_the_last_thirty_days(client, salon, week, owner_of_salon):
    client.force_login(owner_of_salon)
    response = client.get(_url(salon))
    report = response.context["report"]
    assert (report.last_day - report.first_day).days == 29


def test_another_salons_staff_get_404_and_anonymous_the_login(client, salon, week, staff_of_other_salon):
    assert "/staff/login/" in client.get(_url(salon, **WEEK))["Location"]
    client.force_login(staff_of_other_salon)
    assert client.get(_url(salon, **WEEK)).status_code == 404
    assert client.get(_url(salon, **WEEK, format="csv")).status_code == 404


def test_page_queries_are_the_same_for_one_day_and_ninety(client, salon, week, owner_of_salon):
    client.force_login(owner_of_salon)
    for n in range(90):
        add_booking(service=week["long"], staff_member=week["mia"], start=_local(MONDAY + dt.timedelta(days=n), 9))
    client.get(_url(salon, **WEEK))
    counts = []
    for days in (1, 90):
        query = {"date_from": MONDAY.isoformat(), "date_to": (MONDAY + dt.timedelta(days=days - 1)).isoformat()}
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url(salon, **query)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 9  # session, user, staff member, salon; the report's five
