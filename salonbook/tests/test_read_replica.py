"""Reads that tolerate lag on a real PostgreSQL streaming replica (started by
the test setup, see ``salonbook.tests.pg_replica``); everything that books or
re-checks on the primary, so replica lag never refuses a booking and never
puts stale data in the cache."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from reports.selectors import salon_report
from salonbook.tests.helpers import booking_body
from slots.models import Slot
from slots.services import slot_block

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATELIMIT_ENABLE = False


def _day(salon, days: int = 1) -> dt.date:
    return timezone.localdate(timezone=salon.tz) + dt.timedelta(days=days)


def _free_starts(service, days: int = 1) -> list[str]:
    day = _day(service.salon, days).isoformat()
    url = f"/api/salons/{service.salon.slug}/availability/?date={day}&service={service.pk}"
    response = APIClient().get(url)
    assert response.status_code == 200
    return [free["start"] for free in response.json()["slots"]]


def _on_replica(replica, sql: str, params: list) -> list[tuple]:
    with replica.connect(connections["default"].settings_dict["NAME"]) as conn:
        return conn.execute(sql, params).fetchall()


def test_a_booking_right_after_a_cancel_is_accepted_while_the_replica_lags(pg_replica, service, staff_member):
    start = _free_starts(service, days=3)[0]  # past the cancellation cut-off
    body = booking_body(
        salon=service.salon, service=service, staff_member=staff_member, start=dt.datetime.fromisoformat(start)
    )
    pg_replica.pause()

    first = APIClient().post("/api/bookings/", body, format="json").json()
    cancel = APIClient().post(
        f"/api/bookings/{first['reference']}/cancel/", HTTP_X_BOOKING_TOKEN=first["manage_token"], format="json"
    )
    assert cancel.status_code == 200
    # The replica has not seen the cancel, nor even the booking.
    assert _on_replica(pg_replica, "SELECT count(*) FROM bookings_booking WHERE reference = %s", [first["reference"]]) == [(0,)]

    assert start in _free_starts(service, days=3)  # offered again at once
    again = APIClient().post("/api/bookings/", {**body, "customer_name": "Bea"}, format="json")
    assert again.status_code == 201


def test_a_change_the_cache_has_seen_is_never_rebuilt_from_a_replica_behind_it(
    pg_replica, service, staff_member
):
    before = _free_starts(service)
    pg_replica.pause()
    slot = Slot.objects.get(staff_member=staff_member, start=dt.datetime.fromisoformat(before[0]))

    slot_block(slot=slot)  # commits; its invalidation names the primary's position

    assert before[0] not in _free_starts(service)
    pg_replica.resume()
    pg_replica.catch_up()
    assert before[0] not in _free_starts(service)


def test_cached_reads_are_built_on_the_replica_once_it_has_caught_up(pg_replica, service, staff_member):
    pg_replica.catch_up()

    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert _free_starts(service)

    read = " ".join(query["sql"] for query in on_replica.captured_queries)
    assert "slots_slot" in read and "salons_salon" in read


def test_reports_are_read_from_the_replica(pg_replica, service, staff_member):
    pg_replica.catch_up()
    day = _day(service.salon)

    with CaptureQueriesContext(connections["replica"]) as on_replica:
        report = salon_report(salon=service.salon, first_day=day, last_day=day)

    assert report.total == 0
    assert any("bookings_booking" in query["sql"] for query in on_replica.captured_queries)


def test_reads_go_to_the_primary_while_the_replica_is_down(pg_replica, service, staff_member, settings):
    from conftest import free_port

    connections["replica"].close()
    connections["replica"].settings_dict["PORT"] = free_port()  # nothing listens there

    assert _free_starts(service)
