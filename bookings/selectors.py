"""Reads of bookings: a customer's lookup, a staff member's, a salon's agenda."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, Count, Exists, OuterRef, Prefetch, QuerySet, Value
from django.db.models.functions import Cast, Concat, TruncDate
from django.utils import timezone

from bookings.messages.about import BOOKING, booking_subject
from bookings.models import Booking, BookingPart
from messaging.models import InboundReply, Message
from messaging.selectors import failed_messages, messages_about, replies_about
from salons.models import Salon, SalonClosure, Service, StaffMember
from salons.selectors import staff_member_for_user, user_can_manage_salon
from slots.availability import availability_for_day
from slots.models import Slot
from slots.selectors import day_bounds, slots_for_day


def booking_for_customer(*, reference: str, token: str | None) -> Booking | None:
    """The booking with ``reference`` if ``token`` is its manage token, else None.

    A wrong token and an unknown reference look the same to the caller, so
    references cannot be probed.
    """
    booking = Booking.objects.select_related("salon", "service", "staff_member").filter(reference=reference).first()
    if booking is None or not booking.token_matches(token):
        return None
    return booking


def booking_messages(*, booking: Booking) -> QuerySet[Message]:
    """Every message written for ``booking``, oldest first, for staff."""
    return messages_about(subject=booking_subject(booking.pk))


def booking_replies(*, booking: Booking) -> QuerySet[InboundReply]:
    return replies_about(subject=booking_subject(booking.pk))


def _subject_of_outer_booking() -> Concat:
    """The subject key of the booking in the outer query, for a subquery on the outbox."""
    return Concat(Value(f"{BOOKING}:"), Cast(OuterRef("pk"), CharField()), output_field=CharField())


def bookings_for_day(*, salon: Salon, day: dt.date, staff_member_id: int | None = None) -> QuerySet[Booking]:
    """The salon-local ``day``'s bookings, every status, for the staff agenda."""
    begin, end = day_bounds(salon, day)
    # The salon too: the API shows each booking's cut-off, a rule of its salon.
    bookings = (
        Booking.objects.filter(salon=salon, start__gte=begin, start__lt=end)
        .select_related("salon", "service", "staff_member")
        .prefetch_related(booking_parts())
        .annotate(messages_failed=Exists(failed_messages().filter(subject=_subject_of_outer_booking())))
    )
    if staff_member_id is not None:
        # A visit shows for each of its staff members.
        theirs = BookingPart.objects.filter(booking=OuterRef("pk"), staff_member_id=staff_member_id)
        bookings = bookings.filter(Exists(theirs))
    return bookings.order_by("start", "staff_member_id")


def booking_parts() -> Prefetch:
    """Prefetch a booking's parts, with their services and staff, in order."""
    parts = BookingPart.objects.select_related("service", "staff_member").order_by("position")
    return Prefetch("parts", queryset=parts)


@dataclass(frozen=True)
class AgendaDay:
    """What the staff agenda draws for one salon-local day.

    ``staff_choices`` is who the page offers to show on their own: the day's
    columns when everyone is shown, else every active staff member.
    """

    staff: list[StaffMember]
    slots: list[Slot]
    bookings: list[Booking]
    staff_choices: list[StaffMember]

    @property
    def cancelled_bookings(self) -> list[Booking]:
        return [b for b in self.bookings if b.status == Booking.Status.CANCELLED]

    @property
    def active_bookings(self) -> list[Booking]:
        """The bookings that hold time on the grid: every status but cancelled."""
        return [b for b in self.bookings if b.status != Booking.Status.CANCELLED]

    @property
    def pending_bookings(self) -> list[Booking]:
        return [b for b in self.bookings if b.status == Booking.Status.PENDING]


def agenda_for_day(*, salon: Salon, day: dt.date, staff_member_id: int | None = None) -> AgendaDay:
    """The staff columns, their slots and the bookings of the salon-local ``day``.

    Three queries whatever the number of staff, slots or bookings, and one
    more for the menu of everyone when one staff member is shown. A staff
    member who has left keeps a column on a day they still have bookings.
    """
    staff_qs = StaffMember.objects.filter(salon=salon, is_active=True)
    if staff_member_id is not None:
        staff_qs = staff_qs.filter(pk=staff_member_id)
    staff = list(staff_qs.order_by("name", "pk"))
    slots = slots_for_day(salon=salon, day=day, staff_member_id=staff_member_id)
    bookings = list(bookings_for_day(salon=salon, day=day, staff_member_id=staff_member_id))
    known = {member.pk for member in staff}
    for booking in bookings:
        if booking.staff_member_id not in known:
            staff.append(booking.staff_member)
            known.add(booking.staff_member_id)
    if staff_member_id is None:
        staff_choices = staff
    else:
        staff_choices = list(StaffMember.objects.filter(salon=salon, is_active=True).order_by("name", "pk"))
    return AgendaDay(staff=staff, slots=slots, bookings=bookings, staff_choices=staff_choices)


def own_staff_member_at(*, user: Any, salon: Salon) -> StaffMember | None:
    """The user's staff record if they work at ``salon``; None for anyone else,
    such as an admin looking at a salon they are not on the staff of."""
    member = staff_member_for_user(user)
    return member if member is not None and member.salon_id == salon.pk else None


def booking_for_staff(*, user: Any, reference: str) -> Booking | None:
    """The booking with ``reference`` if the user may manage its salon, else None.

    An unknown reference and another salon's booking look the same to the
    caller, so other salons' references cannot be probed.
    """
    booking = Booking.objects.select_related("salon", "service", "staff_member").filter(reference=reference).first()
    if booking is None or not user_can_manage_salon(user, booking.salon_id):
        return None
    return booking


def parts_for_staff_feed(*, staff_member: StaffMember, begin: dt.datetime, end: dt.datetime) -> list[BookingPart]:
    """The member's parts of bookings (a whole single booking, or their part
    of a visit) starting in [begin, end) for their calendar feed, each with
    its booking: one query, whatever their number.

    Cancelled ones are left out rather than sent as ``STATUS:CANCELLED``: a
    subscribed feed is read whole each time, so programs drop an event that
    is gone, while Google Calendar shows a cancelled event in a subscribed
    feed like any other, as if the stylist were still busy then.
    """
    return list(
        BookingPart.objects.filter(staff_member=staff_member, start__gte=begin, start__lt=end)
        .exclude(booking__status=Booking.Status.CANCELLED)
        .select_related("booking__salon", "service")
        .order_by("start", "pk")
    )


def staff_can_reschedule(*, booking: Booking, now: dt.datetime) -> bool:
    """Whether the staff pages offer to move the booking: while it is active and
    has not started. The reschedule service checks again when it is asked."""
    return booking.is_active and booking.start > now


def booking_counts_by_day(*, first_day: dt.date, last_day: dt.date) -> dict[dt.date, dict[str, int]]:
    """Bookings per appointment day (UTC dates) and status, every salon: one query."""
    begin = dt.datetime.combine(first_day, dt.time.min, tzinfo=dt.UTC)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    rows = (
        Booking.objects.filter(start__gte=begin, start__lt=end)
        .annotate(day=TruncDate("start", tzinfo=dt.UTC))
        .values("day", "status")
        .annotate(count=Count("id"))
        .order_by()
    )
    counts: dict[dt.date, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["day"], {})[row["status"]] = row["count"]
    return counts


def staff_free_at(
    *, salon: Salon, service: Service, start: dt.datetime, now: dt.datetime, with_notice: bool = True
) -> list[int]:
    """Who could take ``service`` at ``start``: the ids of active staff members
    who do it and whose slots availability offers then, the one with the least
    booked time that salon-local day first, ties by id (the fairness rule of
    "any staff"). A read: whether the slots are still free is asked again under
    their lock when they are taken. ``with_notice``: as availability's (staff
    at the desk are not held to the minimum notice)."""
    day = timezone.localtime(start, salon.tz).date()
    free = [
        f.staff_member_id
        for f in availability_for_day(salon=salon, day=day, service=service, now=now, with_notice=with_notice)
        if f.start == start
    ]
    if not free:
        return []
    booked = booked_time_by_staff(salon=salon, day=day, staff_ids=free)
    return sorted(free, key=lambda staff_id: (booked.get(staff_id, dt.timedelta()), staff_id))


def booked_time_by_staff(
    *, salon: Salon, day: dt.date, staff_ids: list[int] | None = None
) -> dict[int, dt.timedelta]:
    """How much active booked time each staff member has on the salon-local
    ``day`` (every part of a visit counts for its own staff member): the
    fairness rule of "any staff" sorts by it. Staff with none are left out."""
    begin, end = day_bounds(salon, day)
    parts = BookingPart.objects.filter(
        salon=salon, booking__status__in=Booking.ACTIVE_STATUSES, start__gte=begin, start__lt=end
    )
    if staff_ids is not None:
        parts = parts.filter(staff_member_id__in=staff_ids)
    booked: dict[int, dt.timedelta] = {}
    for staff_id, part_start, part_end in parts.values_list("staff_member_id", "start", "end"):
        booked[staff_id] = booked.get(staff_id, dt.timedelta()) + (part_end - part_start)
    return booked


# --- Bookings ahead, as the back office needs them ----------------------------------------


def future_active_bookings_count(*, salon: Salon, now: dt.datetime) -> int:
    """How many active bookings of the salon start after ``now``."""
    return Booking.objects.filter(salon=salon, status__in=Booking.ACTIVE_STATUSES, start__gt=now).count()


@dataclass(frozen=True)
class BookingOutsideHours:
    reference: str
    staff_member: StaffMember
    start: dt.datetime
    customer_name: str
    why: str


def _why_outside(member: StaffMember, start: dt.datetime, end: dt.datetime, closures: list[SalonClosure]) -> str:
    """Why ``[start, end)`` (the time a booking holds) no longer fits the
    member's hours, or "" when it does. Slots are generated by the same rule."""
    tz = member.salon.tz
    local_start, local_end = timezone.localtime(start, tz), timezone.localtime(end, tz)
    day = local_start.date()
    if not member.is_active:
        return f"{member.name} no longer works here"
    if any(c.date_from <= day <= c.date_to for c in closures):
        return "the salon is closed that day"
    if any(off.date == day for off in member.days_off.all()):
        return f"{member.name} is off that day"
    hours = next((wh for wh in member.working_hours.all() if wh.weekday == day.weekday()), None)
    if hours is None:
        return f"{member.name} does not work on {day:%A}s"
    for opens, closes in hours.intervals():
        if local_end.date() == day and opens <= local_start.time() and local_end.time() <= closes:
            return ""
    return f"outside {member.name}'s hours that day"


def bookings_outside_hours(
    *, salon: Salon, now: dt.datetime, staff_member_id: int | None = None
) -> list[BookingOutsideHours]:
    """Active future bookings that the current hours, days off and closures
    no longer cover: a change never cancels them, the owner moves them.
    Four queries whatever the number of bookings or staff."""
    closures = list(salon.closures.all())
    bookings = (
        Booking.objects.filter(salon=salon, status__in=Booking.ACTIVE_STATUSES, start__gt=now)
        .select_related("staff_member__salon")
        .prefetch_related("staff_member__working_hours", "staff_member__days_off")
        .order_by("start")
    )
    if staff_member_id is not None:
        bookings = bookings.filter(staff_member_id=staff_member_id)
    outside = []
    for booking in bookings:
        why = _why_outside(booking.staff_member, booking.start, booking.held_until, closures)
        if why:
            outside.append(
                BookingOutsideHours(
                    reference=booking.reference,
                    staff_member=booking.staff_member,
                    start=booking.start,
                    customer_name=booking.customer_name,
                    why=why,
                )
            )
    return outside
