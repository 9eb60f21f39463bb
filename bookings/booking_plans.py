"""Bookings made of more than one choice: "any staff member", visits of
several services, and standing appointments (a series), built around
``bookings.services.booking_create``.

Every occurrence and every attempt is a normal ``booking_create``: the same
validation, slot locks, constraints, history and events. What this module
adds is the choosing (who, which weeks) and the all-or-none of a series.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import dateformat, timezone

from bookings.messages import lifecycle
from bookings.models import Booking, BookingSeries
from bookings.selectors import booked_time_by_staff, staff_free_at
from bookings.services import (
    Actor,
    BookingRequest,
    Customer,
    PartRequest,
    booking_cancel,
    booking_create,
    booking_create_unannounced,
)
from salonbook.errors import AlreadyBooked, InvalidInput, NotAllowed, SlotUnavailable
from salons.models import Salon, Service, StaffMember
from salons.selectors import NOT_OFFERED, offers_service, staff_doing_service
from slots.selectors import check_start_offered
from slots.visits import PartAsk, visit_at

MAX_OCCURRENCES = 26
MAX_EVERY_WEEKS = 52


@dataclass(frozen=True)
class Repeat:
    """Every ``every_weeks`` weeks, ``count`` bookings in all (the first included)."""

    every_weeks: int
    count: int


@dataclass(frozen=True)
class PartChoice:
    """A further part of a visit as asked: ``service`` with ``staff_member``, or anyone (None)."""

    service: Service
    staff_member: StaffMember | None = None


@dataclass
class Booked:
    """What a booking request made: one booking, or a series of them."""

    bookings: list[Booking]
    series: BookingSeries | None = None

    @property
    def booking(self) -> Booking:
        return self.bookings[0]


@dataclass
class SeriesCancelled:
    cancelled: list[Booking] = field(default_factory=list)
    kept: list[Booking] = field(default_factory=list)


def booking_book(
    *,
    salon: Salon,
    service: Service,
    staff_member: StaffMember | None,
    start: dt.datetime,
    customer: Customer,
    repeat: Repeat | None = None,
    then: Sequence[PartChoice] = (),
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> Booked:
    """Book ``start``: with ``staff_member``, or with anyone free when None;
    ``then`` the further services of a visit; once, or as a standing
    appointment when ``repeat`` is given.
    """
    actor = actor or Actor.customer()
    now = now or timezone.now()
    if repeat is not None and actor.is_customer and not salon.customers_book_series:
        raise NotAllowed(f"Standing appointments at {salon.name} are booked by the salon's staff.")
    if then:
        parts = [PartChoice(service, staff_member), *then]
        if repeat is None:
            visit = booking_visit_create(
                salon=salon, start=start, parts=parts, customer=customer, actor=actor, now=now
            )
            return Booked(bookings=[visit])
        # One set of faces for every occurrence, chosen at the first.
        request = _visit_request(salon=salon, start=start, parts=parts, customer=customer, actor=actor, now=now)
        starts = occurrence_starts(salon=salon, start=start, repeat=repeat)
        return _series_with(
            salon, service, request.staff_member, starts, customer, repeat, actor, now, then=request.then
        )
    if repeat is not None:
        return booking_series_create(
            salon=salon,
            service=service,
            staff_member=staff_member,
            start=start,
            customer=customer,
            repeat=repeat,
            actor=actor,
            now=now,
        )
    if staff_member is None:
        booking = booking_create_with_anyone(
            salon=salon, service=service, start=start, customer=customer, actor=actor, now=now
        )
    else:
        booking = _create(salon, service, staff_member, start, customer, actor, now)
    return Booked(bookings=[booking])


def _create(
    salon: Salon,
    service: Service,
    member: StaffMember,
    start: dt.datetime,
    customer: Customer,
    actor: Actor,
    now: dt.datetime,
) -> Booking:
    return booking_create(
        request=BookingRequest(salon=salon, service=service, staff_member=member, start=start, customer=customer),
        actor=actor,
        now=now,
    )


def booking_create_with_anyone(
    *, salon: Salon, service: Service, start: dt.datetime, customer: Customer, actor: Actor, now: dt.datetime
) -> Booking:
    """Book ``start`` with a staff member who does ``service`` and is free
    then: the one with the least booked time that day, ties by id.

    The choice is a read; each candidate is then booked under its slot locks
    as any booking is. If a racing request took that member's slots first,
    the next candidate is tried, so "anyone free" fails (``SlotUnavailable``)
    only when nobody is free. ``AlreadyBooked`` (this phone has just been
    booked at that start, by a submit sent twice) is not retried with the
    next one: the customer is already seen to, whoever they are with.
    """
    candidates = staff_free_at(salon=salon, service=service, start=start, now=now, with_notice=actor.is_customer)
    if not candidates:
        _check_anyone_could(salon=salon, service=service, start=start, now=now)
        raise SlotUnavailable("Nobody is free at that time any more.")
    members = StaffMember.objects.select_related("salon").in_bulk(candidates)
    for staff_id in candidates:
        try:
            return _create(salon, service, members[staff_id], start, customer, actor, now)
        except SlotUnavailable:
            continue  # taken meanwhile: the next one free
    raise SlotUnavailable("Nobody is free at that time any more.")


def booking_visit_create(
    *,
    salon: Salon,
    start: dt.datetime,
    parts: Sequence[PartChoice],
    customer: Customer,
    actor: Actor,
    now: dt.datetime,
) -> Booking:
    """Book a visit: ``parts`` in a row from ``start``, each with its staff
    member or, for "anyone", the free one with the least booked time that
    day (ties by id). If a racing request takes a chosen member's time
    first, the visit is planned again (a few times) before ``SlotUnavailable``.
    """
    for _attempt in range(3):
        request = _visit_request(salon=salon, start=start, parts=parts, customer=customer, actor=actor, now=now)
        try:
            return booking_create(request=request, actor=actor, now=now)
        except SlotUnavailable:
            if all(part.staff_member is not None for part in parts):
                raise
    raise SlotUnavailable("Nobody is free for every part at that time any more.")


def _visit_request(
    *,
    salon: Salon,
    start: dt.datetime,
    parts: Sequence[PartChoice],
    customer: Customer,
    actor: Actor,
    now: dt.datetime,
) -> BookingRequest:
    """The request for the visit ``parts`` at ``start``, "anyone" replaced by
    the member availability would offer (a read; booking checks again under
    locks). Chosen staff members go as they are: booking says what is wrong."""
    services = [part.service for part in parts]
    if any(part.staff_member is None for part in parts):
        day = timezone.localtime(start, salon.tz).date()
        booked = booked_time_by_staff(salon=salon, day=day)
        visit = visit_at(
            salon=salon,
            start=start,
            asks=[PartAsk(part.service, part.staff_member.pk if part.staff_member else None) for part in parts],
            now=now,
            with_notice=actor.is_customer,
            order=lambda staff_id: (booked.get(staff_id, dt.timedelta()), staff_id),
        )
        if visit is None:
            for part in parts:
                if part.staff_member is None:
                    _check_anyone_could(salon=salon, service=part.service, start=start, now=now)
            raise SlotUnavailable("Nobody is free for every part at that time.")
        members = StaffMember.objects.select_related("salon").in_bulk([p.staff_member_id for p in visit.parts])
        chosen = [members[p.staff_member_id] for p in visit.parts]
    else:
        chosen = [part.staff_member for part in parts if part.staff_member is not None]
    return BookingRequest(
        salon=salon,
        service=services[0],
        staff_member=chosen[0],
        start=start,
        customer=customer,
        then=tuple(PartRequest(service, member) for service, member in zip(services[1:], chosen[1:], strict=True)),
    )


def _check_anyone_could(*, salon: Salon, service: Service, start: dt.datetime, now: dt.datetime) -> None:
    """Refuse a start no staff member could ever be booked at (another
    salon's service, a past time, beyond the window) with the same errors a
    named staff member's booking gets."""
    if not offers_service(salon=salon, service=service):
        raise InvalidInput(details={"service": [NOT_OFFERED]})
    member = staff_doing_service(salon=salon, service=service).order_by("pk").first()
    if member is None:
        raise InvalidInput(details={"staff": ["Nobody here does that service."]})
    check_start_offered(salon=salon, service=service, staff_member=member, start=start, now=now)


def occurrence_starts(*, salon: Salon, start: dt.datetime, repeat: Repeat) -> list[dt.datetime]:
    """The UTC starts of a series: the same wall-clock time in the salon's
    zone every ``every_weeks`` weeks, whatever the daylight-saving offset
    (10:00 stays 10:00 after the clocks change)."""
    if not 1 <= repeat.every_weeks <= MAX_EVERY_WEEKS or not 2 <= repeat.count <= MAX_OCCURRENCES:
        raise InvalidInput(
            details={"repeat": [f"Repeat every 1 to {MAX_EVERY_WEEKS} weeks, 2 to {MAX_OCCURRENCES} times."]}
        )
    wall = timezone.localtime(start, salon.tz).replace(tzinfo=None)
    return [
        (wall + dt.timedelta(weeks=repeat.every_weeks * n)).replace(tzinfo=salon.tz).astimezone(dt.UTC)
        for n in range(repeat.count)
    ]


def booking_series_create(
    *,
    salon: Salon,
    service: Service,
    staff_member: StaffMember | None,
    start: dt.datetime,
    customer: Customer,
    repeat: Repeat,
    actor: Actor,
    now: dt.datetime,
) -> Booked:
    """Book a standing appointment: ``repeat.count`` bookings with one staff
    member, all or none; if any time is not free, ``SlotUnavailable`` names
    the taken starts in ``details["conflicts"]`` and nothing is booked.

    With ``staff_member`` None ("anyone") it is still one person every time,
    since a regular expects the same face each visit: those free at the first
    start are tried in the order a single "anyone" booking uses (least booked
    time that day, ties by id), and the first free at every time gets the
    series. When nobody is, the conflicts named are those of the one who came
    closest.
    """
    starts = occurrence_starts(salon=salon, start=start, repeat=repeat)
    if staff_member is not None:
        return _series_with(salon, service, staff_member, starts, customer, repeat, actor, now)
    candidates = staff_free_at(salon=salon, service=service, start=start, now=now, with_notice=actor.is_customer)
    if not candidates:
        _check_anyone_could(salon=salon, service=service, start=start, now=now)
    members = StaffMember.objects.select_related("salon").in_bulk(candidates)
    closest: list[str] | None = None  # the fewest taken times of anyone tried
    for staff_id in candidates:
        try:
            return _series_with(salon, service, members[staff_id], starts, customer, repeat, actor, now)
        except SlotUnavailable as error:
            if closest is None or len(error.details["conflicts"]) < len(closest):
                closest = error.details["conflicts"]
    raise SlotUnavailable(
        f"Nobody is free at all {repeat.count} times; nothing was booked.",
        details={"conflicts": closest or [timezone.localtime(start, salon.tz).isoformat()]},
    )


def _series_with(
    salon: Salon,
    service: Service,
    member: StaffMember,
    starts: list[dt.datetime],
    customer: Customer,
    repeat: Repeat,
    actor: Actor,
    now: dt.datetime,
    then: tuple[PartRequest, ...] = (),
) -> Booked:
    """The series at ``starts`` with ``member`` (and ``then``, the further
    parts of a visit, with theirs), all or none.

    Every occurrence is tried in one transaction (each a savepoint); if any
    is not free, everything is rolled back. Events of the bookings go out
    only if the whole series commits. The customer is told once, about the
    whole series (and the salon, when the customer booked it); each
    occurrence has its own reminders.
    """
    wall_time = timezone.localtime(starts[0], salon.tz).time()
    conflicts: list[dt.datetime] = []
    with transaction.atomic():
        series = BookingSeries.objects.create(salon=salon, every_weeks=repeat.every_weeks, count=repeat.count)
        bookings: list[Booking] = []
        for occurrence in starts:
            if timezone.localtime(occurrence, salon.tz).time() != wall_time:
                conflicts.append(occurrence)  # the clocks skip that time that day
                continue
            try:
                request = BookingRequest(
                    salon=salon, service=service, staff_member=member, start=occurrence, customer=customer, then=then
                )
                bookings.append(booking_create_unannounced(request=request, actor=actor, now=now))
            except SlotUnavailable:
                conflicts.append(occurrence)
            except AlreadyBooked:
                # Not a free-time problem another stylist could solve: the
                # customer already comes in then. Rolls back the whole series.
                local = timezone.localtime(occurrence, salon.tz)
                message = f"This phone already has a booking on {dateformat.format(local, 'l j F, H:i')}."
                raise AlreadyBooked(
                    f"{message} Nothing was booked.",
                    details={"customer_phone": [message], "conflicts": [local.isoformat()]},
                ) from None
            except InvalidInput as error:
                if set(error.details) != {"start"}:
                    raise  # the customer's details, the service: wrong for every occurrence
                conflicts.append(occurrence)  # no slot then: a day off, a closure, a skipped hour
        if conflicts:  # raised inside the transaction: every occurrence booked is rolled back
            raise SlotUnavailable(
                f"{len(conflicts)} of the {repeat.count} times are not free; nothing was booked.",
                details={"conflicts": [timezone.localtime(c, salon.tz).isoformat() for c in conflicts]},
            )
        Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(series=series)
        for booking in bookings:
            booking.series = series
        lifecycle.series_messages_created(
            bookings=bookings, every_weeks=repeat.every_weeks, by_customer=actor.is_customer, now=now
        )
    return Booked(bookings=bookings, series=series)


def booking_series_cancel(
    *, series: BookingSeries, actor: Actor, reason: str = "", now: dt.datetime | None = None
) -> SeriesCancelled:
    """Cancel the bookings of ``series`` still ahead, in one transaction.

    Past, started and already-finished bookings are left as they are. A
    customer's cancellation keeps the ones already inside the salon's
    cancellation cut-off (reported as ``kept``); staff cancel every one ahead.
    Cancelling again cancels nothing more.
    """
    now = now or timezone.now()
    outcome = SeriesCancelled()
    ahead = (
        series.bookings.select_related("salon", "service", "staff_member")
        .filter(status__in=Booking.ACTIVE_STATUSES, start__gt=now)
        .order_by("start")
    )
    with transaction.atomic():
        for booking in ahead:
            if actor.is_customer and now >= booking.salon.cancellation_closes(booking.start):
                outcome.kept.append(booking)
                continue
            outcome.cancelled.append(booking_cancel(booking=booking, actor=actor, reason=reason, now=now))
    return outcome
