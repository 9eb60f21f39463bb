"""The waitlist under real concurrency: held time is never booked twice.

Threads with their own connections, released together. On PostgreSQL the
row locks and constraints do the work; the SQLite run serialises writes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from bookings.models import Booking
from bookings.services import Actor, BookingRequest, Customer, booking_cancel, booking_create
from bookings.tests.factories import next_local
from salonbook.errors import SlotUnavailable
from salonbook.tests.races import labelled, race
from salons.tests.factories import SalonFactory, ServiceFactory, StaffMemberFactory
from slots.holds import Holder, held_slots
from slots.models import Hold, Slot
from slots.services import slots_sync_for_staff
from waitlist.models import WaitlistEntry, WaitlistOffer
from waitlist.offers import offers_expire
from waitlist.services import OfferNotLive, waitlist_claim, waitlist_join


def _race(calls):
    """``calls`` are ``(outcome, call)`` pairs; refusals count as ``"refused"``."""
    named = [labelled(name, call) for name, call in calls]
    return race(named, refused={SlotUnavailable: "refused", OfferNotLive: "refused"})


@pytest.fixture
def setup(transactional_db):
    salon = SalonFactory()
    cut = ServiceFactory(salon=salon, duration_minutes=30)
    member = StaffMemberFactory(salon=salon, services=[cut], hours=(dt.time(9), dt.time(17)))
    slots_sync_for_staff(staff_member=member, days=4)
    start = next_local(salon, days=2, at=dt.time(10))
    booking = booking_create(
        request=BookingRequest(
            salon=salon,
            service=cut,
            staff_member=member,
            start=start,
            customer=Customer("A", "+447911123456"),
        ),
    )
    return salon, cut, member, booking


def _join(cut, phone):
    day = timezone.localdate(timezone=cut.salon.tz) + dt.timedelta(days=2)
    return waitlist_join(
        salon=cut.salon,
        service=cut,
        staff_member=None,
        date_from=day,
        date_to=day,
        customer_name="Waiting",
        customer_phone=phone,
    )


def _book(cut, member, start, n):
    return lambda: booking_create(
        request=BookingRequest(
            salon=cut.salon,
            service=cut,
            staff_member=member,
            start=start,
            customer=Customer(f"Racer {n}", f"+447912{n:06d}"),  # a customer each
        ),
    )


def test_cancellation_with_fifty_clients_racing_gives_the_time_to_the_entry_or_a_client_never_both(setup):
    _, cut, member, booking = setup
    entry = _join(cut, "+447911000001")
    calls = [("cancelled", lambda: booking_cancel(booking=booking, actor=Actor.customer()))]
    calls += [("booked", _book(cut, member, booking.start, n)) for n in range(50)]
    outcomes = _race(calls)
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert outcomes["cancelled"] == 1
    offered = WaitlistOffer.objects.filter(entry=entry, status="live").count()
    rebooked = Booking.objects.filter(start=booking.start, status__in=Booking.ACTIVE_STATUSES).count()
    assert offered + rebooked == 1, outcomes
    # Whoever got it, each slot has exactly one holder.
    slots = Slot.objects.filter(staff_member=member, start__gte=booking.start, start__lt=booking.held_until)
    for slot in slots:
        assert Hold.objects.filter(slot=slot).count() == 1


def test_two_entries_and_one_freed_start_make_exactly_one_offer(setup):
    _, cut, _, booking = setup
    first = _join(cut, "+447911000001")
    _join(cut, "+447911000002")
    cancels = [("cancelled", lambda: booking_cancel(booking=booking, actor=Actor.customer())) for _ in range(5)]
    outcomes = _race(cancels)
    assert outcomes == Counter({"cancelled": 5})
    assert list(WaitlistOffer.objects.values_list("entry_id", flat=True)) == [first.pk]
    assert WaitlistEntry.objects.filter(status="offered").count() == 1


def test_claim_and_expiry_at_the_same_instant_have_one_outcome(setup):
    salon, cut, member, _ = setup
    seen = Counter()
    for round_number in range(6):
        start = next_local(salon, days=2, at=dt.time(11 + round_number))
        booking = booking_create(
            request=BookingRequest(
                salon=salon,
                service=cut,
                staff_member=member,
                start=start,
                customer=Customer("B", "+447911123456"),
            ),
        )
        entry = _join(cut, f"+44791100010{round_number}")
        booking_cancel(booking=booking, actor=Actor.customer())
        offer = WaitlistOffer.objects.get(entry=entry, status="live")
        # The claim is a millisecond inside the offer, the expiry job a moment
        # past it: both believe they are in time, only one may win.
        just_inside, expiry = offer.expires_at - dt.timedelta(milliseconds=1), offer.expires_at
        outcomes = _race(
            [
                ("claimed", lambda e=entry, at=just_inside: waitlist_claim(entry=e, now=at)),
                ("expiry ran", lambda at=expiry: offers_expire(now=at)),
            ]
        )
        assert not [o for o in outcomes if o.startswith("error")], outcomes
        offer.refresh_from_db()
        seen[offer.status] += 1
        held = Slot.objects.filter(staff_member=member, start__gte=start, start__lt=start + cut.busy_time)
        if offer.status == "claimed":
            assert outcomes == Counter({"claimed": 1, "expiry ran": 1})
            assert {s.status for s in held} == {Slot.Status.BOOKED}
        else:
            assert offer.status == "expired" and outcomes == Counter({"refused": 1, "expiry ran": 1})
            assert {s.status for s in held} == {Slot.Status.AVAILABLE}
            assert not Booking.objects.filter(start=start, status__in=Booking.ACTIVE_STATUSES).exists()
        assert not held_slots(Holder.offer(offer.pk)).exists()
        # An entry whose offer expired waits on; this one steps aside for the next round's.
        WaitlistEntry.objects.filter(pk=entry.pk, status="waiting").update(status="left")
    assert sum(seen.values()) == 6
