import datetime as dt

import pytest
from django.utils import timezone

from bookings.models import Booking, BookingStatusChange
from bookings.services import Actor, BookingRequest, Customer, booking_create
from bookings.tests.factories import make_booking, next_local
from salonbook.errors import InvalidInput, OutsideBookingWindow, SlotUnavailable
from salons.tests.factories import SalonFactory, ServiceFactory, StaffMemberFactory
from slots.holds import Holder, held_slots
from slots.models import Slot

pytestmark = pytest.mark.django_db


def test_booking_holds_the_slot_and_confirms_when_the_salon_auto_confirms(service, staff_member):
    start = next_local(service.salon)
    booking = make_booking(service=service, staff_member=staff_member, start=start)

    assert booking.status == Booking.Status.CONFIRMED
    assert booking.end == start + dt.timedelta(minutes=30)
    held = held_slots(Holder.booking(booking.pk)).order_by("start")
    assert [s.start for s in held] == [start, start + dt.timedelta(minutes=15)]
    assert {s.status for s in held} == {Slot.Status.BOOKED}
    history = list(booking.history.values_list("from_status", "to_status", "actor"))
    assert history == [("", "pending", "customer"), ("pending", "confirmed", "system")]


def test_booking_stays_pending_when_staff_must_confirm(service, staff_member):
    service.salon.auto_confirm = False
    service.salon.save()
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon))
    assert booking.status == Booking.Status.PENDING
    assert booking.history.count() == 1


def test_phone_is_stored_as_e164_read_in_the_salons_country(service, staff_member):
    booking = make_booking(
        service=service, staff_member=staff_member, start=next_local(service.salon), phone="07911 123456"
    )
    assert booking.customer_phone == "+447911123456"


def test_second_booking_for_the_same_slot_is_refused(service, staff_member):
    start = next_local(service.salon)
    make_booking(service=service, staff_member=staff_member, start=start)
    with pytest.raises(SlotUnavailable):
        make_booking(service=service, staff_member=staff_member, start=start + dt.timedelta(minutes=15))
    assert Booking.objects.count() == 1


def test_service_with_buffer_holds_every_slot_it_needs(salon, staff_member):
    colour = ServiceFactory(salon=salon, duration_minutes=50, buffer_minutes=10)
    staff_member.services.add(colour)
    start = next_local(salon)
    booking = make_booking(service=colour, staff_member=staff_member, start=start)
    assert held_slots(Holder.booking(booking.pk)).count() == 4  # 60 minutes of 15-minute slots
    assert booking.held_until == start + dt.timedelta(minutes=60)
    assert booking.end == start + dt.timedelta(minutes=50)


def test_a_booking_needing_a_taken_slot_takes_none(salon, service, staff_member):
    long = ServiceFactory(salon=salon, duration_minutes=60)
    staff_member.services.add(long)
    start = next_local(salon)
    make_booking(service=service, staff_member=staff_member, start=start + dt.timedelta(minutes=45))
    with pytest.raises(SlotUnavailable):
        make_booking(service=long, staff_member=staff_member, start=start)
    free = Slot.objects.filter(staff_member=staff_member, start__gte=start, start__lt=start + dt.timedelta(minutes=45))
    assert {s.status for s in free} == {Slot.Status.AVAILABLE}


def test_a_booking_running_past_closing_time_is_refused(salon, service):
    member = StaffMemberFactory(salon=salon, services=[service], hours=(dt.time(9), dt.time(17)))
    from slots.services import slots_sync_for_staff

    slots_sync_for_staff(staff_member=member, days=3)
    with pytest.raises(SlotUnavailable):
        make_booking(service=service, staff_member=member, start=next_local(salon, at=dt.time(16, 45)))


@pytest.mark.parametrize(
    "field, kwargs",
    [
        ("customer_name", {"name": "  "}),
        ("customer_phone", {"phone": "12345"}),
        ("customer_phone", {"phone": ""}),
    ],
)
def test_customer_details_are_validated(service, staff_member, field, kwargs):
    with pytest.raises(InvalidInput) as error:
        make_booking(service=service, staff_member=staff_member, start=next_local(service.salon), **kwargs)
    assert field in error.value.details
    assert not Booking.objects.exists()


def test_invalid_email_is_refused(service, staff_member):
    with pytest.raises(InvalidInput) as error:
        booking_create(
            request=BookingRequest(
                salon=service.salon,
                service=service,
                staff_member=staff_member,
                start=next_local(service.salon),
                customer=Customer("Ana", "+447911123456", "not-an-email"),
            ),
        )
    assert "customer_email" in error.value.details


def test_staff_member_must_do_the_service(salon, service, staff_member):
    other_service = ServiceFactory(salon=salon)
    with pytest.raises(InvalidInput) as error:
        make_booking(service=other_service, staff_member=staff_member, start=next_local(salon))
    assert error.value.details["staff"] == ["This staff member does not do that service."]


def test_service_of_another_salon_is_refused(service, staff_member):
    foreign = ServiceFactory(salon=SalonFactory())
    with pytest.raises(InvalidInput) as error:
        booking_create(
            request=BookingRequest(
                salon=service.salon,
                service=foreign,
                staff_member=staff_member,
                start=next_local(service.salon),
                customer=Customer("Ana", "+447911123456"),
            ),
        )
    assert "service" in error.value.details


def test_inactive_service_is_refused(service, staff_member):
    service.is_active = False
    service.save()
    with pytest.raises(InvalidInput):
        make_booking(service=service, staff_member=staff_member, start=next_local(service.salon))


def test_start_in_the_past_is_refused(service, staff_member):
    with pytest.raises(InvalidInput) as error:
        make_booking(service=service, staff_member=staff_member, start=timezone.now() - dt.timedelta(hours=1))
    assert "start" in error.value.details


def test_start_off_the_grid_is_refused(service, staff_member):
    with pytest.raises(InvalidInput) as error:
        make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, at=dt.time(10, 7)))
    assert "start" in error.value.details


def test_naive_start_is_refused(service, staff_member):
    with pytest.raises(InvalidInput):
        make_booking(service=service, staff_member=staff_member, start=dt.datetime(2030, 1, 1, 10))


def test_start_beyond_the_booking_window_is_refused(service, staff_member):
    salon = service.salon
    salon.booking_window_days = 3
    salon.save()
    with pytest.raises(OutsideBookingWindow):
        make_booking(service=service, staff_member=staff_member, start=next_local(salon, days=5))


def test_reference_is_long_and_random_and_token_is_secret(service, staff_member):
    a = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon))
    b = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, at=dt.time(12)))
    assert len(a.reference) == 26 and a.reference != b.reference
    assert a.token_matches(a.manage_token)
    assert not a.token_matches(b.manage_token)
    assert not a.token_matches(None)
    assert a.manage_token not in repr(a) and a.customer_phone not in repr(a)


def test_staff_desk_booking_records_the_staff_user(service, staff_member, staff_of_salon):
    booking = make_booking(
        service=service, staff_member=staff_member, start=next_local(service.salon), actor=Actor.staff(staff_of_salon)
    )
    created = booking.history.first()
    assert created.actor == BookingStatusChange.Actor.STAFF
    assert created.actor_user == staff_of_salon


# --- Future starts and the booking window, at chosen instants -----------------------------------

MINUTE = dt.timedelta(minutes=1)


def test_a_start_is_bookable_until_a_minute_before_it_and_not_at_it(service, staff_member):
    start = next_local(service.salon, days=3)
    with pytest.raises(InvalidInput) as error:
        make_booking(service=service, staff_member=staff_member, start=start, now=start)
    assert error.value.details == {"start": ["That time has already passed."]}
    assert make_booking(service=service, staff_member=staff_member, start=start, now=start - MINUTE).start == start


def test_the_booking_window_closes_exactly_its_days_after_now(service, staff_member):
    start = next_local(service.salon, days=3)
    window = dt.timedelta(days=service.salon.booking_window_days)
    with pytest.raises(OutsideBookingWindow):
        make_booking(service=service, staff_member=staff_member, start=start, now=start - window - MINUTE)
    assert Booking.objects.count() == 0
    assert make_booking(service=service, staff_member=staff_member, start=start, now=start - window).start == start


def test_booking_refuses_what_availability_does_not_offer_at_the_same_instant(service, staff_member):
    from slots.availability import availability_for_day

    salon = service.salon
    last_offered = next_local(salon, days=3, at=dt.time(12))
    # At this instant the booking window closes at 12:00 that day: 12:15 is not offered.
    now = last_offered - dt.timedelta(days=salon.booking_window_days)
    offered = {
        free.start
        for free in availability_for_day(salon=salon, day=last_offered.date(), service=service, now=now)
    }
    assert last_offered in offered
    assert last_offered + dt.timedelta(minutes=15) not in offered
    with pytest.raises(OutsideBookingWindow):
        make_booking(service=service, staff_member=staff_member, start=last_offered + dt.timedelta(minutes=15), now=now)
    assert make_booking(service=service, staff_member=staff_member, start=last_offered, now=now).start == last_offered
