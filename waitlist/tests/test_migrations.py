"""The move to one table of holds and the waitlist's move to its own app keep
every row, forwards and back."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("bookings", "0007_early_status_reports"), ("slots", "0002_slot_held_for_waitlist"), ("waitlist", None)]
AFTER = [("bookings", "0009_waitlist_moves_to_its_own_app"), ("slots", "0003_holds"), ("waitlist", "0001_initial")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    # The models of the other apps are their tables as they are: at their latest.
    moved = {app for app, _ in targets}
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] not in moved]
    return executor.loader.project_state(others + [t for t in targets if t[1] is not None]).apps


@pytest.fixture
def back_to_latest():
    """Whatever the test does, later tests find every migration applied."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_holds_and_waitlist_rows_survive_the_moves_forwards_and_back(back_to_latest):
    old = _migrate(BEFORE)
    Salon, Service, Staff = (old.get_model("salons", name) for name in ("Salon", "Service", "StaffMember"))
    Slot, Booking = old.get_model("slots", "Slot"), old.get_model("bookings", "Booking")
    BookingSlot, WaitlistHold = old.get_model("bookings", "BookingSlot"), old.get_model("bookings", "WaitlistHold")
    Entry, Offer = old.get_model("bookings", "WaitlistEntry"), old.get_model("bookings", "WaitlistOffer")
    salon = Salon.objects.create(name="Old", slug="old-salon", whatsapp_phone="+447911123000")
    service = Service.objects.create(salon=salon, name="Cut", duration_minutes=30)
    staff = Staff.objects.create(salon=salon, name="Mo")
    start = timezone.now().replace(microsecond=0, second=0) + dt.timedelta(days=2)
    quarter = dt.timedelta(minutes=15)
    slots = [
        Slot.objects.create(
            salon=salon, staff_member=staff, start=start + n * quarter, end=start + (n + 1) * quarter,
            status="booked" if n < 2 else "held",
        )
        for n in range(4)
    ]
    booking = Booking.objects.create(
        salon=salon, service=service, staff_member=staff, start=start, end=start + 2 * quarter,
        held_until=start + 2 * quarter, customer_name="Ana", customer_phone="+447911123456",
        reference="oldref", manage_token="t", status="confirmed",
    )
    entry = Entry.objects.create(
        salon=salon, service=service, date_from=start.date(), date_to=start.date(), customer_name="Wanda",
        customer_phone="+447911000001", status="offered", reference="wref", manage_token="w",
    )
    offer = Offer.objects.create(
        entry=entry, salon=salon, staff_member=staff, start=slots[2].start, expires_at=start, status="live"
    )
    BookingSlot.objects.bulk_create([BookingSlot(booking=booking, slot=slot) for slot in slots[:2]])
    WaitlistHold.objects.bulk_create([WaitlistHold(offer=offer, slot=slot) for slot in slots[2:]])

    new = _migrate(AFTER)
    Hold = new.get_model("slots", "Hold")
    holds = sorted(Hold.objects.values_list("slot_id", "kind", "holder_id", "salon_id"))
    assert holds == [(slots[0].pk, "booking", booking.pk, salon.pk), (slots[1].pk, "booking", booking.pk, salon.pk),
                     (slots[2].pk, "offer", offer.pk, salon.pk), (slots[3].pk, "offer", offer.pk, salon.pk)]
    moved_entry = new.get_model("waitlist", "WaitlistEntry").objects.get(pk=entry.pk)
    assert (moved_entry.reference, moved_entry.status, moved_entry.customer_phone) == ("wref", "offered", "+447911000001")
    moved_offer = new.get_model("waitlist", "WaitlistOffer").objects.get(pk=offer.pk)
    assert (moved_offer.entry_id, moved_offer.status) == (entry.pk, "live")

    back = _migrate(BEFORE)  # and back again, for a rollback
    assert sorted(back.get_model("bookings", "BookingSlot").objects.values_list("slot_id", "booking_id")) == [
        (slots[0].pk, booking.pk), (slots[1].pk, booking.pk)
    ]
    assert sorted(back.get_model("bookings", "WaitlistHold").objects.values_list("slot_id", "offer_id")) == [
        (slots[2].pk, offer.pk), (slots[3].pk, offer.pk)
    ]
    assert back.get_model("bookings", "WaitlistOffer").objects.get(pk=offer.pk).entry_id == entry.pk
