"""The waitlist: joining, offers that hold freed time, claim, decline, expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bookings.models import Booking, BookingStatusChange
from bookings.services import Actor, booking_cancel, booking_reschedule
from bookings.tests.factories import make_booking, next_local
from messaging.models import Message
from salonbook.errors import InvalidInput, OutsideBookingWindow, SlotUnavailable
from slots.availability import availability_for_day
from slots.holds import Holder, held_slots
from slots.models import Hold, Slot
from slots.services import slot_block, slot_unblock
from waitlist.models import WaitlistEntry, WaitlistOffer
from waitlist.offers import entries_close_passed, offers_expire
from waitlist.services import (
    OfferAlreadyClaimed,
    OfferNotLive,
    waitlist_claim,
    waitlist_decline,
    waitlist_join,
    waitlist_leave,
    waitlist_offer_by_hand,
    waitlist_withdraw,
)


def join(service, *, days=2, staff=None, phone="+447911000001", **extra):
    day = timezone.localdate(timezone=service.salon.tz) + dt.timedelta(days=days)
    return waitlist_join(
        salon=service.salon,
        service=service,
        staff_member=staff,
        date_from=extra.pop("date_from", day),
        date_to=extra.pop("date_to", day),
        customer_name="Wanda Wait",
        customer_phone=phone,
        **extra,
    )


@pytest.fixture
def booked(service, staff_member):
    return make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=2))


def test_cancellation_holds_the_freed_start_for_the_first_entry(service, staff_member, booked):
    first = join(service)
    join(service, phone="+447911000002")
    booking_cancel(booking=booked, actor=Actor.customer())
    offer = WaitlistOffer.objects.get()
    assert offer.entry == first and offer.start == booked.start
    first.refresh_from_db()
    assert first.status == WaitlistEntry.Status.OFFERED
    held = held_slots(Holder.offer(offer.pk))
    assert held.count() == 2 and {s.status for s in held} == {Slot.Status.HELD}  # 30 minutes of 15-minute slots
    starts = [f.start for f in availability_for_day(salon=service.salon, day=booked.local_start.date(), service=service)]
    assert booked.start not in starts


def test_offer_goes_out_as_a_waitlist_message_with_the_claim_link(service, staff_member, booked):
    entry = join(service)
    booking_cancel(booking=booked, actor=Actor.customer())
    message = Message.objects.get(kind=Message.Kind.WAITLIST_OFFER)
    assert message.to == entry.customer_phone
    assert f"/waitlist/{entry.reference}/#token=" in message.parameters["claim_url"]
    assert message.expires_at == WaitlistOffer.objects.get().expires_at


def test_held_time_cannot_be_booked_by_anyone_else(service, staff_member, booked):
    join(service)
    booking_cancel(booking=booked, actor=Actor.customer())
    with pytest.raises(SlotUnavailable):
        make_booking(service=service, staff_member=staff_member, start=booked.start, phone="+447911123457")


def test_entry_outside_hours_or_dates_is_not_offered(service, staff_member, booked):
    join(service, earliest=dt.time(11), latest=dt.time(15))
    join(service, days=3, phone="+447911000002")
    booking_cancel(booking=booked, actor=Actor.customer())
    assert not WaitlistOffer.objects.exists()


def test_claim_books_the_held_time_once_and_records_it(service, staff_member, booked):
    entry = join(service)
    booking_cancel(booking=booked, actor=Actor.customer())
    booking = waitlist_claim(entry=entry)
    with pytest.raises(OfferAlreadyClaimed):
        waitlist_claim(entry=entry)  # the link is used up: it never hands out the booking again
    assert Booking.objects.filter(customer_phone=entry.customer_phone).count() == 1
    assert booking.start == booked.start and booking.customer_phone == entry.customer_phone
    assert not Hold.objects.filter(kind=Hold.Kind.OFFER).exists()
    assert {s.status for s in held_slots(Holder.booking(booking.pk))} == {Slot.Status.BOOKED}
    assert BookingStatusChange.objects.filter(booking=booking, note="booked from the waitlist").exists()
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.BOOKED and entry.booking == booking


def test_decline_passes_the_time_to_the_next_entry(service, staff_member, booked):
    first = join(service)
    second = join(service, phone="+447911000002")
    booking_cancel(booking=booked, actor=Actor.customer())
    waitlist_decline(entry=first)
    live = WaitlistOffer.objects.get(status=WaitlistOffer.Status.LIVE)
    assert live.entry == second
    first.refresh_from_db()
    assert first.status == WaitlistEntry.Status.WAITING


def test_expiry_passes_on_and_runs_once(service, staff_member, booked):
    first = join(service)
    booking_cancel(booking=booked, actor=Actor.customer())
    later = timezone.now() + dt.timedelta(minutes=16)
    assert offers_expire(now=later) == 1
    assert offers_expire(now=later) == 0
    assert WaitlistOffer.objects.get().status == WaitlistOffer.Status.EXPIRED
    assert Slot.objects.get(start=booked.start, staff_member=staff_member).status == Slot.Status.AVAILABLE
    with pytest.raises(OfferNotLive):
        waitlist_claim(entry=first, now=later)


def test_claim_after_the_offer_time_is_refused_even_before_the_job_runs(service, staff_member, booked):
    entry = join(service)
    booking_cancel(booking=booked, actor=Actor.customer())
    with pytest.raises(OfferNotLive):
        waitlist_claim(entry=entry, now=timezone.now() + dt.timedelta(minutes=15, seconds=1))


def test_move_away_offers_the_old_time(service, staff_member, booked):
    entry = join(service)
    booking_reschedule(booking=booked, start=booked.start + dt.timedelta(hours=2), actor=Actor.staff(None))
    assert WaitlistOffer.objects.get().entry == entry
    assert WaitlistOffer.objects.get().start == booked.start


def test_unblock_offers_the_time(service, staff_member):
    start = next_local(service.salon, days=2)
    slot = Slot.objects.get(staff_member=staff_member, start=start)
    slot_block(slot=slot)
    entry = join(service)
    slot_unblock(slot=slot)
    assert WaitlistOffer.objects.get().entry == entry
    slot.refresh_from_db()
    assert slot.status == Slot.Status.HELD


def test_leave_releases_held_time_to_the_next(service, staff_member, booked):
    first = join(service)
    second = join(service, phone="+447911000002")
    booking_cancel(booking=booked, actor=Actor.customer())
    waitlist_leave(entry=first)
    first.refresh_from_db()
    assert first.status == WaitlistEntry.Status.LEFT
    assert WaitlistOffer.objects.get(status=WaitlistOffer.Status.LIVE).entry == second


def test_staff_offer_by_hand_and_withdraw(service, staff_member):
    entry = join(service)
    start = next_local(service.salon, days=2, at=dt.time(14))
    offer = waitlist_offer_by_hand(entry=entry, staff_member=staff_member, start=start)
    assert offer.by_hand and Slot.objects.get(staff_member=staff_member, start=start).status == Slot.Status.HELD
    waitlist_withdraw(entry=entry, actor=Actor.staff(None))
    assert Slot.objects.get(staff_member=staff_member, start=start).status == Slot.Status.AVAILABLE
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.WAITING


def test_join_refuses_past_too_long_reversed_hours_and_wrong_staff(service, staff_member, salon):
    from salons.tests.factories import ServiceFactory, StaffMemberFactory

    today = timezone.localdate(timezone=salon.tz)
    with pytest.raises(InvalidInput) as error:
        join(service, date_from=today - dt.timedelta(days=2), date_to=today - dt.timedelta(days=1))
    assert "date_from" in error.value.details
    with pytest.raises(OutsideBookingWindow):
        join(service, date_from=today, date_to=today + dt.timedelta(days=salon.booking_window_days + 1))
    with pytest.raises(InvalidInput) as error:
        join(service, earliest=dt.time(12), latest=dt.time(12))
    assert "latest" in error.value.details
    other = StaffMemberFactory(salon=salon, services=[ServiceFactory(salon=salon)])
    with pytest.raises(InvalidInput) as error:
        join(service, staff=other)
    assert error.value.details["staff"] == ["This staff member does not do that service."]


def test_entries_whose_dates_passed_close(service, staff_member):
    entry = join(service)
    assert entries_close_passed(now=timezone.now() + dt.timedelta(days=4)) == 1
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.CLOSED


def test_cancelled_booking_without_waiting_entries_frees_the_time(service, staff_member, booked):
    booking_cancel(booking=booked, actor=Actor.customer())
    assert Slot.objects.get(start=booked.start, staff_member=staff_member).status == Slot.Status.AVAILABLE
    assert Booking.objects.get().status == Booking.Status.CANCELLED
