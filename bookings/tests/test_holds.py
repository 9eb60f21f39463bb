"""One table of holds: whatever the application checks, the database refuses
a second holder of a slot, for bookings and waitlist offers alike."""

from __future__ import annotations

import pytest

from bookings.models import Booking
from bookings.services import Actor, booking_cancel
from bookings.tests.factories import make_booking, next_local
from salonbook.errors import SlotUnavailable
from slots import services as slot_services
from slots.holds import Holder, held_slots
from slots.models import Hold, Slot
from waitlist.models import WaitlistOffer
from waitlist.tests.test_waitlist import join

pytestmark = pytest.mark.django_db


@pytest.fixture
def without_the_application_check(monkeypatch):
    """Every run of slots looks free to the services: only the database is left to say no."""
    monkeypatch.setattr(slot_services, "_covered", lambda *args, **kwargs: True)


def test_a_booking_of_time_held_for_an_offer_is_refused_by_the_database(
    service, staff_member, without_the_application_check
):
    booked = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=2))
    join(service)
    booking_cancel(booking=booked, actor=Actor.customer())
    offer = WaitlistOffer.objects.get(status="live")

    with pytest.raises(SlotUnavailable):
        make_booking(service=service, staff_member=staff_member, start=offer.start, phone="+447911000999")

    assert not Booking.objects.filter(start=offer.start, status__in=Booking.ACTIVE_STATUSES).exists()
    assert set(Hold.objects.filter(slot__start__gte=offer.start).values_list("kind", flat=True)) == {Hold.Kind.OFFER}
    assert {s.status for s in held_slots(Holder.offer(offer.pk))} == {Slot.Status.HELD}


def test_a_booking_of_booked_time_is_refused_by_the_database(service, staff_member, without_the_application_check):
    start = next_local(service.salon, days=2)
    first = make_booking(service=service, staff_member=staff_member, start=start)

    with pytest.raises(SlotUnavailable):
        make_booking(service=service, staff_member=staff_member, start=start, phone="+447911000999")

    assert list(Booking.objects.values_list("pk", flat=True)) == [first.pk]
    assert set(Hold.objects.values_list("holder_id", flat=True)) == {first.pk}
