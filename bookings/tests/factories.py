import datetime as dt

from django.utils import timezone

from bookings.models import Booking, BookingPart
from bookings.services import Actor, BookingRequest, Customer, booking_create
from salons.models import Salon, Service, StaffMember
from slots.services import slots_sync_for_staff


def next_local(salon: Salon, *, days: int = 1, at: dt.time = dt.time(10)) -> dt.datetime:
    """A salon-local time ``days`` from today, as an aware datetime."""
    day = timezone.localdate(timezone=salon.tz) + dt.timedelta(days=days)
    return dt.datetime.combine(day, at, tzinfo=salon.tz)


def make_booking(
    *,
    service: Service,
    staff_member: StaffMember,
    start: dt.datetime,
    name: str = "Ana Silva",
    phone: str = "+447911123456",
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> Booking:
    return booking_create(
        request=BookingRequest(
            salon=service.salon,
            service=service,
            staff_member=staff_member,
            start=start,
            customer=Customer(name, phone),
        ),
        actor=actor or Actor.customer(),
        now=now,
    )


def make_past_booking(*, service: Service, staff_member: StaffMember, hours_ago: int = 1) -> Booking:
    """A booking whose appointment started ``hours_ago`` hours ago.

    Slots and the booking are made as if it were a day earlier, so the rules
    for the future hold when they were made.
    """
    earlier = timezone.now() - dt.timedelta(days=1)
    slots_sync_for_staff(staff_member=staff_member, days=3, now=earlier)
    start = (timezone.now() - dt.timedelta(hours=hours_ago)).astimezone(service.salon.tz)
    start = start.replace(minute=0, second=0, microsecond=0)
    return make_booking(service=service, staff_member=staff_member, start=start, now=earlier)


def add_booking(
    *,
    service: Service,
    staff_member: StaffMember,
    start: dt.datetime,
    status: str = Booking.Status.CONFIRMED,
    name: str = "Ana Silva",
    phone: str = "+447911123456",
    email: str = "",
    minutes: int | None = None,
) -> Booking:
    """A booking row in any status at any time, past or future, without the
    booking rules or slots: for reading tests (directory, reports, retention)."""
    end = start + dt.timedelta(minutes=minutes or service.duration_minutes)
    booking = Booking.objects.create(
        salon=service.salon,
        service=service,
        staff_member=staff_member,
        start=start,
        end=end,
        held_until=end,
        status=status,
        customer_name=name,
        customer_phone=phone,
        customer_email=email,
    )
    BookingPart.objects.create(
        booking=booking, salon=service.salon, position=0, service=service, staff_member=staff_member, start=start, end=end
    )
    return booking
