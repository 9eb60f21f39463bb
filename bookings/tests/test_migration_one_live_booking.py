"""The key of one live booking per phone and start arrives on a database that
may already hold such twins: it names them and stops, cancelling nobody."""

import datetime as dt

import pytest
from django.utils import timezone

from salonbook.tests.migrations import latest, migrate_to, targets_with

BEFORE = "0011_visits"
AFTER = "0012_one_live_booking_per_phone_and_start"


@pytest.fixture
def back_to_latest():
    """Whatever the test does, later tests find every migration applied."""
    yield
    migrate_to(latest())


def _twins(apps, *, second_status):
    Salon, Service, Staff = (apps.get_model("salons", name) for name in ("Salon", "Service", "StaffMember"))
    Booking = apps.get_model("bookings", "Booking")
    salon = Salon.objects.create(name="Old", slug="old-salon", whatsapp_phone="+447911123000")
    service = Service.objects.create(salon=salon, name="Cut", duration_minutes=30)
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    for reference, status in (("firstref", "confirmed"), ("secondref", second_status)):
        Booking.objects.create(
            salon=salon, service=service, staff_member=Staff.objects.create(salon=salon, name=reference),
            start=start, end=start + dt.timedelta(minutes=30), held_until=start + dt.timedelta(minutes=30),
            customer_name="Ana", customer_phone="+447911123456", reference=reference, manage_token="t", status=status,
        )


@pytest.mark.django_db(transaction=True)
def test_live_twins_stop_the_migration_with_their_references(back_to_latest):
    _twins(migrate_to(targets_with({"bookings": BEFORE})), second_status="pending")
    with pytest.raises(RuntimeError) as stopped:
        migrate_to(targets_with({"bookings": AFTER}))
    assert "firstref, secondref" in str(stopped.value)
    # Cancel the extra one, as the message says, and it goes through.
    migrate_to(targets_with({"bookings": BEFORE})).get_model("bookings", "Booking").objects.filter(
        reference="secondref"
    ).update(status="cancelled")
    migrate_to(targets_with({"bookings": AFTER}))


@pytest.mark.django_db(transaction=True)
def test_a_cancelled_twin_does_not_stop_it(back_to_latest):
    _twins(migrate_to(targets_with({"bookings": BEFORE})), second_status="cancelled")
    migrate_to(targets_with({"bookings": AFTER}))
