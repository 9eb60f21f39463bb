"""Customers' data rights: erase and export one customer, and the retention
period after which bookings keep no personal data."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings import signals
from bookings.customer_data import customer_erase, customer_export, months_before, personal_data_retention_run
from bookings.customers import ERASED_NAME, ERASED_PHONE, customer_directory
from bookings.models import Booking, BookingStatusChange, CustomerNote, Message
from bookings.services import Actor
from bookings.tasks import apply_personal_data_retention
from bookings.tests.factories import add_booking
from bookings.tests.helpers import caught
from reports.selectors import salon_report
from salonbook.errors import NotFound
from salons.tests.factories import SalonFactory, ServiceFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db

S = Booking.Status
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
ANA = "+447911123456"
BEN = "+447911654321"


def _at(days: int) -> dt.datetime:
    return NOW + dt.timedelta(days=days)


@pytest.fixture
def ana(salon, service, staff_member):
    """Ana's bookings: a visit, a no-show, a cancellation, one ahead with an
    unsent reminder and a sent one; a note; Ben; and Ana at another salon."""
    made = [
        add_booking(service=service, staff_member=staff_member, start=_at(d), status=s, phone=ANA, email="ana@example.com")
        for d, s in [(-30, S.COMPLETED), (-20, S.NO_SHOW), (-10, S.CANCELLED), (3, S.CONFIRMED)]
    ]
    ahead = made[-1]
    Message.objects.create(
        salon=salon, booking=ahead, to=ANA, kind="reminder_24h", due_at=ahead.start - dt.timedelta(hours=24)
    )
    Message.objects.create(
        salon=salon, booking=ahead, to=ANA, kind="reminder_2h", due_at=ahead.start, status=Message.Status.SENT
    )
    add_booking(service=service, staff_member=staff_member, start=_at(-5), status=S.COMPLETED, name="Ben Ode", phone=BEN)
    CustomerNote.objects.create(salon=salon, customer_phone=ANA, note="Prefers Tuesdays")
    other = ServiceFactory(salon=SalonFactory(name="Elsewhere"))
    add_booking(service=other, staff_member=StaffMemberFactory(salon=other.salon, hours=False), start=_at(-1), phone=ANA)
    CustomerNote.objects.create(salon=other.salon, customer_phone=ANA, note="Elsewhere's note")
    return made


# --- Erase -----------------------------------------------------------------------------


def test_erase_replaces_personal_data_and_keeps_the_bookings_and_counts(salon, ana, owner_of_salon):
    before = salon_report(salon=salon, first_day=_at(-40).date(), last_day=_at(10).date())

    changed = customer_erase(salon=salon, phone=ANA, actor=Actor.staff(owner_of_salon), now=NOW)

    assert changed == 4
    rows = Booking.objects.filter(pk__in=[b.pk for b in ana])
    assert {(b.customer_name, b.customer_phone, b.customer_email) for b in rows} == {(ERASED_NAME, ERASED_PHONE, "")}
    assert sorted(b.status for b in rows) == sorted(b.status for b in ana)
    after = salon_report(salon=salon, first_day=_at(-40).date(), last_day=_at(10).date())
    assert after.by_status == before.by_status and after.total == before.total


def test_erase_removes_the_note_cancels_unsent_messages_and_records_history(salon, ana, owner_of_salon):
    customer_erase(salon=salon, phone=ANA, actor=Actor.staff(owner_of_salon), now=NOW)

    assert not CustomerNote.objects.filter(salon=salon, customer_phone=ANA).exists()
    statuses = dict(Message.objects.filter(booking=ana[-1]).values_list("kind", "status"))
    assert statuses == {"reminder_24h": Message.Status.CANCELLED, "reminder_2h": Message.Status.SENT}
    assert not Message.objects.filter(to=ANA).exists()
    for booking in ana:
        change = BookingStatusChange.objects.filter(booking=booking).last()
        assert change.note == "customer's personal data erased"
        assert (change.actor, change.actor_user, change.changed_at) == ("staff", owner_of_salon, NOW)
        assert change.from_status == change.to_status == booking.status


def test_erase_leaves_other_customers_and_other_salons_alone(salon, ana, owner_of_salon):
    customer_erase(salon=salon, phone=ANA, actor=Actor.staff(owner_of_salon), now=NOW)

    assert Booking.objects.get(customer_phone=BEN).customer_name == "Ben Ode"
    elsewhere = Booking.objects.exclude(salon=salon).get()
    assert (elsewhere.customer_name, elsewhere.customer_phone) == ("Ana Silva", ANA)
    assert CustomerNote.objects.exclude(salon=salon).get().note == "Elsewhere's note"


def test_erased_customer_leaves_the_directory_and_cannot_be_erased_again(salon, ana, owner_of_salon):
    customer_erase(salon=salon, phone=ANA, actor=Actor.staff(owner_of_salon), now=NOW)

    assert [row["customer_phone"] for row in customer_directory(salon=salon)] == [BEN]
    with pytest.raises(NotFound):
        customer_erase(salon=salon, phone=ANA, actor=Actor.staff(owner_of_salon), now=NOW)
    with pytest.raises(NotFound):
        customer_erase(salon=salon, phone=ERASED_PHONE, actor=Actor.staff(owner_of_salon), now=NOW)


def test_erase_sends_its_event_after_commit(salon, ana, owner_of_salon, django_capture_on_commit_callbacks):
    with caught(signals.personal_data_erased) as seen:
        with django_capture_on_commit_callbacks(execute=True):
            customer_erase(salon=salon, phone=ANA, actor=Actor.staff(owner_of_salon), now=NOW)
    staff = {b.staff_member_id for b in ana}
    assert seen == [
        ("personal_data_erased", {"booking_ids": sorted(b.pk for b in ana), "staff_member_ids": staff, "reason": "erased"})
    ]


def _erase_url(salon, booking):
    return reverse("staff:customer_erase", kwargs={"slug": salon.slug, "reference": booking.reference})


def test_erase_page_needs_the_confirmation_box(client, salon, ana, owner_of_salon):
    client.force_login(owner_of_salon)
    assert client.get(_erase_url(salon, ana[0])).status_code == 200
    response = client.post(_erase_url(salon, ana[0]), {})
    assert response.status_code == 400 and "Tick the box" in response.content.decode()
    assert Booking.objects.filter(customer_phone=ANA, salon=salon).count() == 4

    response = client.post(_erase_url(salon, ana[0]), {"confirm": "on"})

    assert response.status_code == 302
    assert not Booking.objects.filter(customer_phone=ANA, salon=salon).exists()


def test_stylist_cannot_erase(client, salon, ana, staff_of_salon):
    client.force_login(staff_of_salon)
    assert client.get(_erase_url(salon, ana[0])).status_code == 403
    assert client.post(_erase_url(salon, ana[0]), {"confirm": "on"}).status_code == 403
    assert Booking.objects.filter(customer_phone=ANA, salon=salon).count() == 4


def test_another_salons_staff_cannot_erase(client, salon, ana, staff_of_other_salon):
    client.force_login(staff_of_other_salon)
    assert client.post(_erase_url(salon, ana[0]), {"confirm": "on"}).status_code == 404
    assert Booking.objects.filter(customer_phone=ANA, salon=salon).count() == 4


# --- Export ----------------------------------------------------------------------------


def test_export_holds_bookings_history_messages_and_note(salon, ana, owner_of_salon):
    data = customer_export(salon=salon, phone=ANA, actor=Actor.staff(owner_of_salon), now=NOW)

    assert data["customer"] == {"phone": ANA}
    assert data["note"]["text"] == "Prefers Tuesdays"
    assert [b["reference"] for b in data["bookings"]] == [b.reference for b in ana]
    first = data["bookings"][0]
    assert (first["status"], first["customer_email"], first["service"]) == ("completed", "ana@example.com", "Cut")
    assert {m["kind"] for m in data["bookings"][-1]["messages"]} == {"reminder_24h", "reminder_2h"}
    assert all(b["customer_phone"] == ANA for b in data["bookings"])  # nothing of Ben's or of the other salon
    json.dumps(data)  # JSON-ready as it is


def test_export_is_recorded_in_each_bookings_history(salon, ana, owner_of_salon):
    customer_export(salon=salon, phone=ANA, actor=Actor.staff(owner_of_salon), now=NOW)
    for booking in ana:
        change = BookingStatusChange.objects.filter(booking=booking).last()
        assert (change.note, change.actor_user) == ("customer's data exported", owner_of_salon)
    data = customer_export(salon=salon, phone=ANA, actor=Actor.staff(owner_of_salon), now=NOW)
    assert data["bookings"][0]["history"][-1]["note"] == "customer's data exported"


def test_export_download_for_owner_only(client, salon, ana, owner_of_salon, staff_of_salon):
    url = reverse("staff:customer_export", kwargs={"slug": salon.slug, "reference": ana[0].reference})
    client.force_login(staff_of_salon)
    assert client.post(url).status_code == 403
    client.force_login(owner_of_salon)
    assert client.get(url).status_code == 405  # recorded in the history, so never on a GET

    response = client.post(url)

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    assert len(json.loads(response.content)["bookings"]) == 4


# --- Retention -------------------------------------------------------------------------


def test_months_before_clamps_to_the_month_length():
    assert months_before(dt.datetime(2026, 3, 31, tzinfo=dt.UTC), 1) == dt.datetime(2026, 2, 28, tzinfo=dt.UTC)
    assert months_before(dt.datetime(2026, 1, 15, tzinfo=dt.UTC), 24) == dt.datetime(2024, 1, 15, tzinfo=dt.UTC)
    assert months_before(dt.datetime(2026, 1, 15, tzinfo=dt.UTC), 13) == dt.datetime(2024, 12, 15, tzinfo=dt.UTC)


@pytest.fixture
def years(salon, service, staff_member):
    """Bookings 3 years, 25 months and 23 months ago, and one ahead; a note on the oldest customer."""
    old = [
        add_booking(service=service, staff_member=staff_member, start=_at(-3 * 365), status=S.COMPLETED, phone="+447911000001"),
        add_booking(service=service, staff_member=staff_member, start=_at(-25 * 31), status=S.CONFIRMED, phone="+447911000002"),
    ]
    recent = add_booking(service=service, staff_member=staff_member, start=_at(-23 * 30), status=S.COMPLETED, phone="+447911000002")
    ahead = add_booking(service=service, staff_member=staff_member, start=_at(2), phone="+447911000003")
    CustomerNote.objects.create(salon=salon, customer_phone="+447911000001", note="gone with her bookings")
    CustomerNote.objects.create(salon=salon, customer_phone="+447911000002", note="still a customer")
    return {"old": old, "recent": recent, "ahead": ahead}


def _personal(booking):
    booking.refresh_from_db()
    return booking.customer_name, booking.customer_phone


def test_retention_erases_bookings_older_than_the_period_only(salon, years):
    assert personal_data_retention_run(months=24, now=NOW) == 2

    assert all(_personal(b) == (ERASED_NAME, ERASED_PHONE) for b in years["old"])
    assert _personal(years["recent"]) == ("Ana Silva", "+447911000002")
    assert _personal(years["ahead"]) == ("Ana Silva", "+447911000003")
    assert [b.status for b in years["old"]] == [S.COMPLETED, S.CONFIRMED]  # counts kept
    assert list(CustomerNote.objects.values_list("note", flat=True)) == ["still a customer"]
    change = BookingStatusChange.objects.filter(booking=years["old"][0]).last()
    assert (change.actor, change.note) == ("system", "personal data removed after the 24-month retention period")


def test_retention_second_run_changes_nothing(salon, years):
    personal_data_retention_run(months=24, now=NOW)
    snapshot = list(Booking.objects.order_by("pk").values())
    history = BookingStatusChange.objects.count()

    assert personal_data_retention_run(months=24, now=NOW) == 0

    assert list(Booking.objects.order_by("pk").values()) == snapshot
    assert BookingStatusChange.objects.count() == history


def test_retention_works_in_batches(salon, service, staff_member):
    for n in range(7):
        add_booking(service=service, staff_member=staff_member, start=_at(-900 - n), phone=f"+4479110000{n:02d}")
    assert personal_data_retention_run(months=24, now=NOW, batch_size=3) == 7
    assert not Booking.objects.exclude(customer_phone=ERASED_PHONE).exists()


def test_retention_of_zero_months_keeps_everything(salon, years):
    assert personal_data_retention_run(months=0, now=NOW) == 0
    assert not Booking.objects.filter(customer_phone=ERASED_PHONE).exists()


def test_retention_never_touches_a_booking_ahead_even_with_one_month(salon, years):
    personal_data_retention_run(months=1, now=NOW)
    assert _personal(years["ahead"]) == ("Ana Silva", "+447911000003")


def test_beat_task_reads_the_setting(service, staff_member, settings):
    now = timezone.now()
    past = add_booking(service=service, staff_member=staff_member, start=now - dt.timedelta(days=60), phone="+447911000001")
    ahead = add_booking(service=service, staff_member=staff_member, start=now + dt.timedelta(days=2), phone="+447911000002")
    settings.PERSONAL_DATA_RETENTION_MONTHS = 0
    assert apply_personal_data_retention() == 0
    settings.PERSONAL_DATA_RETENTION_MONTHS = 1

    assert apply_personal_data_retention() == 1

    assert _personal(past)[1] == ERASED_PHONE and _personal(ahead)[1] == "+447911000002"


def test_beat_schedules_the_task_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["apply-personal-data-retention"]
    assert entry["task"] == apply_personal_data_retention.name and entry["schedule"] == 86400.0
