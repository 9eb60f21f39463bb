import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from bookings.models import Booking, IdempotencyKey
from bookings.tests.factories import make_booking, make_past_booking, next_local
from salonbook.tests.helpers import booking_body, client_for, error_of
from salons.tests.factories import ServiceFactory, StaffMemberFactory
from slots.holds import Holder, held_slots
from slots.services import slots_sync_for_staff

pytestmark = pytest.mark.django_db

# Another customer than the one the ``booking`` fixture and ``booking_body`` book for.
OTHER_PHONE = "+447911123499"


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATELIMIT_ENABLE = False


@pytest.fixture
def booking(service, staff_member):
    return make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))


@pytest.fixture
def plain_user(db):
    return get_user_model().objects.create_user("just-a-user", password="pass-word-123")


# The people of the access matrix: (name, how to make their client).
def _people(booking, staff_of_salon, staff_of_other_salon, admin_user, plain_user):
    return {
        "anonymous": APIClient(),
        "customer": client_for(booking_token=booking.manage_token),
        "wrong_token": client_for(booking_token="not-the-token"),
        "staff_here": client_for(staff_of_salon, token=True),
        "staff_elsewhere": client_for(staff_of_other_salon, token=True),
        "plain_user": client_for(plain_user),
        "admin": client_for(admin_user),
    }


@pytest.fixture
def people(booking, staff_of_salon, staff_of_other_salon, admin_user, plain_user):
    return _people(booking, staff_of_salon, staff_of_other_salon, admin_user, plain_user)


# --- Create -------------------------------------------------------------------------------


def test_anonymous_customer_books_an_offered_start_and_gets_the_manage_token(service, staff_member):
    salon = service.salon
    start = next_local(salon)
    response = APIClient().post(
        "/api/bookings/", booking_body(salon=salon, service=service, staff_member=staff_member, start=start), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    booking = Booking.objects.get(reference=body["reference"])
    assert body["manage_token"] == booking.manage_token
    assert body["status"] == "confirmed"
    assert body["start"] == start.isoformat()  # salon-local, with offset
    assert body["end"] == (start + dt.timedelta(minutes=30)).isoformat()
    assert body["staff"] == {"id": staff_member.pk, "name": staff_member.name}
    assert body["customer_phone"] == "+447911123456"


def test_times_are_given_in_the_salons_zone_whatever_zone_was_sent(service, staff_member):
    salon = service.salon
    salon.timezone = "America/New_York"
    salon.save()
    slots_sync_for_staff(staff_member=staff_member, days=7)
    local = next_local(salon, at=dt.time(10))
    response = APIClient().post(
        "/api/bookings/",
        booking_body(salon=salon, service=service, staff_member=staff_member, start=local.astimezone(dt.UTC)),
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["start"] == local.isoformat()
    assert response.json()["start"][-6:] in {"-05:00", "-04:00"}


@pytest.mark.parametrize(
    "field",
    ["salon", "service", "start", "customer_name", "customer_phone"],  # no staff: anyone free
)
def test_each_missing_field_is_named_in_the_400(service, staff_member, field):
    body = booking_body(salon=service.salon, service=service, staff_member=staff_member, start=next_local(service.salon))
    del body[field]
    error = error_of(APIClient().post("/api/bookings/", body, format="json"), 400, "invalid")
    assert list(error["details"]) == [field]
    assert Booking.objects.count() == 0


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"salon": "no-such-salon"}, "salon"),
        ({"salon": "not a slug!"}, "salon"),
        ({"service": 999999}, "service"),
        ({"service": "cut"}, "service"),
        ({"service": 2**70}, "service"),
        ({"staff": 999999}, "staff"),
        ({"staff": -1}, "staff"),
        ({"start": "tomorrow at ten"}, "start"),
        ({"start": "2030-05-01T10:00:00"}, "start"),
        ({"start": 12}, "start"),
        ({"customer_name": ""}, "customer_name"),
        ({"customer_name": "x" * 121}, "customer_name"),
        ({"customer_name": "Ana\x00"}, "customer_name"),
        ({"customer_phone": "call me"}, "customer_phone"),
        ({"customer_phone": "+44 12"}, "customer_phone"),
        ({"customer_email": "not-an-email"}, "customer_email"),
    ],
)
def test_invalid_fields_are_refused_with_details_by_field(service, staff_member, override, field):
    body = booking_body(salon=service.salon, service=service, staff_member=staff_member, start=next_local(service.salon))
    error = error_of(APIClient().post("/api/bookings/", {**body, **override}, format="json"), 400, "invalid")
    assert field in error["details"], error
    assert Booking.objects.count() == 0


def test_a_service_of_another_salon_is_refused(service, staff_member):
    other_service = ServiceFactory()
    body = booking_body(salon=service.salon, service=other_service, staff_member=staff_member, start=next_local(service.salon))
    error = error_of(APIClient().post("/api/bookings/", body, format="json"), 400, "invalid")
    assert "service" in error["details"]


def test_a_staff_member_who_does_not_do_the_service_is_refused(salon, service, staff_member):
    other = StaffMemberFactory(salon=salon, services=[])
    slots_sync_for_staff(staff_member=other, days=3)
    body = booking_body(salon=salon, service=service, staff_member=other, start=next_local(salon))
    error = error_of(APIClient().post("/api/bookings/", body, format="json"), 400, "invalid")
    assert error["details"] == {"staff": ["This staff member does not do that service."]}


def test_a_start_in_the_past_is_refused(service, staff_member):
    start = next_local(service.salon, days=-1)
    body = booking_body(salon=service.salon, service=service, staff_member=staff_member, start=start)
    error = error_of(APIClient().post("/api/bookings/", body, format="json"), 400, "invalid")
    assert "start" in error["details"]


def test_a_start_beyond_the_booking_window_gets_a_clear_message(service, staff_member):
    start = next_local(service.salon, days=service.salon.booking_window_days + 2)
    body = booking_body(salon=service.salon, service=service, staff_member=staff_member, start=start)
    error = error_of(APIClient().post("/api/bookings/", body, format="json"), 400, "outside_booking_window")
    assert "30 days" in error["message"]
    assert "start" in error["details"]


def test_a_start_off_the_slot_grid_is_refused(service, staff_member):
    start = next_local(service.salon, at=dt.time(10, 7))
    body = booking_body(salon=service.salon, service=service, staff_member=staff_member, start=start)
    error_of(APIClient().post("/api/bookings/", body, format="json"), 400, "invalid")


def test_a_body_that_is_not_an_object_is_a_400_not_a_500(db):
    error_of(APIClient().post("/api/bookings/", [1, 2], format="json"), 400, "invalid")
    error_of(APIClient().post("/api/bookings/", "null", content_type="application/json"), 400)


def test_malformed_json_gets_the_envelope(db):
    error_of(APIClient().post("/api/bookings/", '{"salon": ', content_type="application/json"), 400, "malformed_request")


def test_a_taken_time_answers_409_slot_unavailable(booking, service, staff_member):
    body = booking_body(
        salon=service.salon, service=service, staff_member=staff_member, start=booking.start, customer_phone=OTHER_PHONE
    )
    error_of(APIClient().post("/api/bookings/", body, format="json"), 409, "slot_unavailable")
    assert Booking.objects.count() == 1


# --- Idempotency --------------------------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_first_answer_and_books_nothing_more(service, staff_member):
    body = booking_body(salon=service.salon, service=service, staff_member=staff_member, start=next_local(service.salon))
    client = APIClient()
    first = client.post("/api/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY="7d1c7e9c-key")
    again = client.post("/api/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY="7d1c7e9c-key")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1


def test_the_same_key_with_another_body_answers_422(service, staff_member):
    body = booking_body(salon=service.salon, service=service, staff_member=staff_member, start=next_local(service.salon))
    client = APIClient()
    client.post("/api/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    other = {**body, "start": next_local(service.salon, at=dt.time(12)).isoformat()}
    error_of(client.post("/api/bookings/", other, format="json", HTTP_IDEMPOTENCY_KEY="key-1"), 422, "idempotency_key_reused")
    assert Booking.objects.count() == 1


def test_a_lost_race_is_replayed_as_the_same_409(booking, service, staff_member):
    body = booking_body(
        salon=service.salon, service=service, staff_member=staff_member, start=booking.start, customer_phone=OTHER_PHONE
    )
    client = APIClient()
    first = client.post("/api/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY="key-409")
    again = client.post("/api/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY="key-409")
    error_of(first, 409, "slot_unavailable")
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"


def test_a_refused_body_does_not_use_up_the_key(service, staff_member):
    body = booking_body(salon=service.salon, service=service, staff_member=staff_member, start=next_local(service.salon))
    client = APIClient()
    error_of(client.post("/api/bookings/", {**body, "customer_phone": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k"), 400)
    assert not IdempotencyKey.objects.exists()
    assert client.post("/api/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201


def test_a_key_older_than_a_day_is_forgotten(service, staff_member):
    body = booking_body(salon=service.salon, service=service, staff_member=staff_member, start=next_local(service.salon))
    client = APIClient()
    client.post("/api/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyKey.objects.update(created_at=IdempotencyKey.objects.get().created_at - dt.timedelta(hours=24, minutes=1))
    other = {**body, "start": next_local(service.salon, at=dt.time(14)).isoformat()}
    assert client.post("/api/bookings/", other, format="json", HTTP_IDEMPOTENCY_KEY="old").status_code == 201
    assert Booking.objects.count() == 2


def test_a_key_is_kept_at_least_a_day(service, staff_member):
    body = booking_body(salon=service.salon, service=service, staff_member=staff_member, start=next_local(service.salon))
    client = APIClient()
    client.post("/api/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY="young")
    IdempotencyKey.objects.update(created_at=IdempotencyKey.objects.get().created_at - dt.timedelta(hours=23, minutes=59))
    assert client.post("/api/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY="young")["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1


def test_an_overlong_key_is_a_400(service, staff_member):
    body = booking_body(salon=service.salon, service=service, staff_member=staff_member, start=next_local(service.salon))
    error = error_of(APIClient().post("/api/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256), 400)
    assert "Idempotency-Key" in error["details"]


# --- Read: the access matrix -----------------------------------------------------------------

DETAIL_ACCESS = {
    "anonymous": 404,
    "customer": 200,
    "wrong_token": 404,
    "staff_here": 200,
    "staff_elsewhere": 404,
    "plain_user": 404,
    "admin": 200,
}


@pytest.mark.parametrize(("person", "status"), DETAIL_ACCESS.items())
def test_who_can_read_a_booking(people, booking, person, status):
    response = people[person].get(f"/api/bookings/{booking.reference}/")
    if status == 404:
        error_of(response, 404, "not_found")
    else:
        assert response.status_code == 200
        assert response.json()["reference"] == booking.reference
        assert "manage_token" not in response.json()


def test_staff_see_a_whatsapp_link_and_customers_do_not(people, booking):
    staff_view = people["staff_here"].get(f"/api/bookings/{booking.reference}/").json()
    customer_view = people["customer"].get(f"/api/bookings/{booking.reference}/").json()
    assert staff_view["whatsapp_url"].startswith("https://wa.me/447911123456?text=")
    assert "whatsapp_url" not in customer_view


def test_an_unknown_reference_and_a_wrong_token_look_the_same(booking):
    unknown = client_for(booking_token=booking.manage_token).get("/api/bookings/zzzzzzzzzzzzzzzzzzzzzzzzzz/")
    wrong = client_for(booking_token="nope").get(f"/api/bookings/{booking.reference}/")
    assert unknown.status_code == wrong.status_code == 404
    assert unknown.json() == wrong.json()


# --- Cancel and reschedule -------------------------------------------------------------------

CUSTOMER_OR_STAFF = {
    "anonymous": 404,
    "customer": 200,
    "wrong_token": 404,
    "staff_here": 200,
    "staff_elsewhere": 404,
    "plain_user": 404,
    "admin": 200,
}


@pytest.mark.parametrize(("person", "status"), CUSTOMER_OR_STAFF.items())
def test_who_can_cancel_a_booking(people, booking, person, status):
    response = people[person].post(f"/api/bookings/{booking.reference}/cancel/", {"reason": "ill"}, format="json")
    booking.refresh_from_db()
    if status == 200:
        assert response.status_code == 200 and response.json()["status"] == "cancelled"
        assert booking.status == Booking.Status.CANCELLED
        actor = booking.history.last().actor
        assert actor == ("customer" if person == "customer" else "staff")
    else:
        error_of(response, status)
        assert booking.status == Booking.Status.CONFIRMED


@pytest.mark.parametrize(("person", "status"), CUSTOMER_OR_STAFF.items())
def test_who_can_reschedule_a_booking(people, booking, person, status):
    new_start = booking.start + dt.timedelta(hours=2)
    response = people[person].post(
        f"/api/bookings/{booking.reference}/reschedule/", {"start": new_start.isoformat()}, format="json"
    )
    booking.refresh_from_db()
    if status == 200:
        assert response.status_code == 200, response.content
        assert booking.start == new_start
    else:
        error_of(response, status)
        assert booking.start != new_start


def test_cancelling_twice_is_harmless(people, booking):
    client = people["customer"]
    assert client.post(f"/api/bookings/{booking.reference}/cancel/", {}, format="json").status_code == 200
    again = client.post(f"/api/bookings/{booking.reference}/cancel/")
    assert again.status_code == 200 and again.json()["status"] == "cancelled"


def test_a_customer_cannot_cancel_after_the_cutoff_but_staff_can(service, staff_member, staff_of_salon):
    service.salon.cancellation_cutoff_hours = 72
    service.salon.save()
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=2))
    error = error_of(
        client_for(booking_token=booking.manage_token).post(f"/api/bookings/{booking.reference}/cancel/"),
        409,
        "cancellation_closed",
    )
    assert "72 hours" in error["message"] and "cancellable_until" in error["details"]
    response = client_for(staff_of_salon).post(f"/api/bookings/{booking.reference}/cancel/")
    assert response.status_code == 200


def test_cancel_reason_longer_than_allowed_is_a_400(people, booking):
    error = error_of(
        people["customer"].post(f"/api/bookings/{booking.reference}/cancel/", {"reason": "x" * 201}, format="json"), 400
    )
    assert "reason" in error["details"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "start"), ({"start": "2030-05-01T10:00:00"}, "start"), ({"start": "soon"}, "start"), ({"start": "2030-05-01T10:00:00+01:00", "staff": 0}, "staff")],
)
def test_reschedule_validation(people, booking, body, field):
    error = error_of(people["customer"].post(f"/api/bookings/{booking.reference}/reschedule/", body, format="json"), 400)
    assert field in error["details"]


def test_rescheduling_onto_a_taken_time_is_a_409_and_leaves_the_booking_where_it_was(people, booking, service, staff_member):
    other = make_booking(service=service, staff_member=staff_member, start=booking.start + dt.timedelta(hours=3))
    error_of(
        people["customer"].post(
            f"/api/bookings/{booking.reference}/reschedule/", {"start": other.start.isoformat()}, format="json"
        ),
        409,
        "slot_unavailable",
    )
    before = booking.start
    booking.refresh_from_db()
    assert booking.start == before
    assert held_slots(Holder.booking(booking.pk)).count() == 2


def test_rescheduling_to_another_staff_member(people, booking, salon, service):
    colleague = StaffMemberFactory(salon=salon, services=[service])
    slots_sync_for_staff(staff_member=colleague, days=7)
    response = people["customer"].post(
        f"/api/bookings/{booking.reference}/reschedule/",
        {"start": booking.start.isoformat(), "staff": colleague.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["staff"]["id"] == colleague.pk


def test_a_cancelled_booking_cannot_be_moved(people, booking):
    people["customer"].post(f"/api/bookings/{booking.reference}/cancel/")
    error = error_of(
        people["customer"].post(
            f"/api/bookings/{booking.reference}/reschedule/",
            {"start": (booking.start + dt.timedelta(hours=1)).isoformat()},
            format="json",
        ),
        409,
        "invalid_transition",
    )
    assert error["details"] == {"status": "cancelled", "allowed": []}


# --- Staff moves ---------------------------------------------------------------------------

STAFF_ONLY = {
    "anonymous": 401,
    "customer": 401,
    "wrong_token": 401,
    "staff_here": 200,
    "staff_elsewhere": 404,
    "plain_user": 403,
    "admin": 200,
}


@pytest.mark.parametrize(("person", "status"), STAFF_ONLY.items())
def test_who_can_confirm_a_pending_booking(service, staff_member, staff_of_salon, staff_of_other_salon, admin_user, plain_user, person, status):
    service.salon.auto_confirm = False
    service.salon.save()
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=2))
    client = _people(booking, staff_of_salon, staff_of_other_salon, admin_user, plain_user)[person]
    response = client.post(f"/api/bookings/{booking.reference}/confirm/")
    booking.refresh_from_db()
    if status == 200:
        assert response.status_code == 200 and response.json()["status"] == "confirmed"
        assert "whatsapp_url" in response.json()
    else:
        error_of(response, status)
        assert booking.status == Booking.Status.PENDING


@pytest.mark.parametrize("move", ["complete", "no-show"])
@pytest.mark.parametrize(("person", "status"), STAFF_ONLY.items())
def test_who_can_record_the_outcome_of_a_started_appointment(
    service, staff_member, staff_of_salon, staff_of_other_salon, admin_user, plain_user, move, person, status
):
    booking = make_past_booking(service=service, staff_member=staff_member)
    client = _people(booking, staff_of_salon, staff_of_other_salon, admin_user, plain_user)[person]
    response = client.post(f"/api/bookings/{booking.reference}/{move}/")
    booking.refresh_from_db()
    if status == 200:
        assert response.status_code == 200
        assert booking.status == {"complete": "completed", "no-show": "no_show"}[move]
    else:
        error_of(response, status)
        assert booking.status == Booking.Status.CONFIRMED


def test_completing_before_the_start_answers_409_with_the_allowed_moves(people, booking):
    error = error_of(people["staff_here"].post(f"/api/bookings/{booking.reference}/complete/"), 409, "invalid_transition")
    assert error["details"] == {"status": "confirmed", "allowed": ["cancel"]}


def test_confirming_a_cancelled_booking_answers_409_and_changes_nothing(people, booking):
    people["staff_here"].post(f"/api/bookings/{booking.reference}/cancel/")
    error = error_of(people["staff_here"].post(f"/api/bookings/{booking.reference}/confirm/"), 409, "invalid_transition")
    assert error["details"]["allowed"] == []
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


def test_session_login_works_for_staff(client, booking, staff_of_salon):
    client.force_login(staff_of_salon)
    assert client.get(f"/api/bookings/{booking.reference}/").status_code == 200


# --- Agenda ----------------------------------------------------------------------------------

AGENDA_ACCESS = {**STAFF_ONLY, "staff_elsewhere": 404}


@pytest.mark.parametrize(("person", "status"), AGENDA_ACCESS.items())
def test_who_can_read_the_agenda(people, booking, person, status):
    day = booking.local_start.date()
    response = people[person].get(f"/api/salons/{booking.salon.slug}/bookings/?date={day}")
    if status == 200:
        assert response.status_code == 200
        assert [b["reference"] for b in response.json()["results"]] == [booking.reference]
    else:
        error_of(response, status)


@pytest.mark.parametrize("query", ["", "?date=", "?date=yesterday", "?date=2030-02-30", "?date=9999-12-31", "?date=2030-05-01&staff=x"])
def test_agenda_query_validation(people, booking, query):
    error_of(people["staff_here"].get(f"/api/salons/{booking.salon.slug}/bookings/{query}"), 400, "invalid")


def test_agenda_of_an_unknown_salon_is_404(people):
    error_of(people["admin"].get("/api/salons/nowhere/bookings/?date=2030-05-01"), 404)


def test_agenda_filters_by_staff_member(people, booking, salon, service):
    colleague = StaffMemberFactory(salon=salon, services=[service])
    slots_sync_for_staff(staff_member=colleague, days=7)
    make_booking(service=service, staff_member=colleague, start=booking.start, phone=OTHER_PHONE)
    day = booking.local_start.date()
    everyone = people["staff_here"].get(f"/api/salons/{salon.slug}/bookings/?date={day}").json()
    one = people["staff_here"].get(f"/api/salons/{salon.slug}/bookings/?date={day}&staff={colleague.pk}").json()
    assert everyone["count"] == 2 and one["count"] == 1
    assert one["results"][0]["staff"]["id"] == colleague.pk


def _agenda_queries(client, salon, day) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/api/salons/{salon.slug}/bookings/?date={day}").status_code == 200
    return len(queries)


def test_agenda_query_count_does_not_grow_with_bookings(salon, service, staff_member, staff_of_salon, django_assert_max_num_queries):
    client = client_for(staff_of_salon, token=True)
    day = next_local(salon, days=2).date()
    make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=2, at=dt.time(9)))
    few = _agenda_queries(client, salon, day)
    for hour in range(10, 20):
        make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=2, at=dt.time(hour)))
    many = _agenda_queries(client, salon, day)
    assert few == many
    # token + staff record + salon + count + page + the page's parts
    with django_assert_max_num_queries(6):
        client.get(f"/api/salons/{salon.slug}/bookings/?date={day}")


def test_booking_read_query_budget(booking, django_assert_max_num_queries):
    client = client_for(booking_token=booking.manage_token)
    # The booking with its salon, service and staff member; its parts.
    with django_assert_max_num_queries(2):
        assert client.get(f"/api/bookings/{booking.reference}/").status_code == 200
