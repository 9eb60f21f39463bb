"""Every change to a booking. Each service validates, locks, re-checks, writes,
records the status change in the history, writes the messages the change owes
(``bookings.messages.lifecycle``) in the same transaction, and sends its event
after commit.

Time comes in from outside: every service takes ``now`` (keyword-only; the
current time when left out) and every rule about time (the customer's
cut-off, "has started", the booking window, the minimum notice, future
starts only) is asked at that instant, so each can be tested at an instant of
the test's choosing.

The minimum notice and the cut-off are customers' rules: the salon's notice
gives staff time to prepare for a booking they did not see coming, so staff
booking or moving at the desk (a walk-in standing there) are not held to it.

One module, about 400 lines, on purpose: the services share the lock,
re-check, history and message steps defined once here, and read top to bottom
they follow a booking's life. Booking plans built on them (any stylist,
standing appointments) are in ``bookings.booking_plans``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_fsm import can_proceed

from bookings import signals
from bookings.messages import lifecycle
from bookings.models import Booking, BookingPart, BookingStatusChange
from resources.holds import ResourceNeed, resources_hold, resources_release
from resources.selectors import needs_of_services
from salonbook.errors import (
    AlreadyBooked,
    CancellationClosed,
    DomainError,
    InvalidInput,
    InvalidTransition,
    SlotUnavailable,
    TooManyBookings,
)
from salonbook.events import send_on_commit
from salons.models import Salon, Service, StaffMember
from salons.phones import normalize_phone, region_of
from salons.selectors import service_and_staff_errors
from slots.holds import Holder, holds_place, holds_release
from slots.models import Slot
from slots.selectors import check_start_offered
from slots.services import StaffNeed, slots_freed_announce, slots_lock_for_parts
from slots.visits import part_starts, staff_periods


@dataclass(frozen=True)
class Actor:
    """Who asks for a change: recorded in the history, and it decides the rules
    (a customer's cancellation has a cut-off, staff's has not)."""

    kind: str
    user: AbstractBaseUser | AnonymousUser | None = None

    @classmethod
    def customer(cls) -> Actor:
        return cls(BookingStatusChange.Actor.CUSTOMER)

    @classmethod
    def staff(cls, user: AbstractBaseUser | AnonymousUser | None) -> Actor:
        return cls(BookingStatusChange.Actor.STAFF, user)

    @classmethod
    def system(cls) -> Actor:
        return cls(BookingStatusChange.Actor.SYSTEM)

    @property
    def is_customer(self) -> bool:
        return self.kind == BookingStatusChange.Actor.CUSTOMER


@dataclass(frozen=True)
class Customer:
    name: str
    phone: str
    email: str = ""


@dataclass(frozen=True)
class PartRequest:
    service: Service
    staff_member: StaffMember


MAX_PARTS = 5


@dataclass(frozen=True)
class BookingRequest:
    """What a booking asks for: ``service`` with ``staff_member`` at ``start``,
    for ``customer``; a visit's further parts in ``then``, in order, each
    starting when the one before ends (its buffer included)."""

    salon: Salon
    service: Service
    staff_member: StaffMember
    start: dt.datetime
    customer: Customer
    then: tuple[PartRequest, ...] = ()

    @property
    def parts(self) -> list[PartRequest]:
        return [PartRequest(self.service, self.staff_member), *self.then]


def _time_allows(booking: Booking, move: str, now: dt.datetime) -> bool:
    """The rules about time that the model's transitions leave to the services:
    a booking is cancelled only before it starts, completed or marked no-show
    only once it has started."""
    if move == "cancel":
        return not booking.has_started(now)
    if move in ("complete", "no_show"):
        return booking.has_started(now)
    return True


def allowed_moves(booking: Booking, *, now: dt.datetime | None = None) -> list[str]:
    """The state machine's moves open to this booking at ``now``."""
    now = now or timezone.now()
    return sorted(
        t.name for t in booking.get_available_status_transitions() if _time_allows(booking, t.name, now)
    )


# --- Validation ---------------------------------------------------------------------


def _check_customer(*, salon: Salon, name: str, phone: str, email: str) -> tuple[str, str, str]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["customer_name"] = ["Enter the customer's name."]
    elif len(name) > 120:
        errors["customer_name"] = ["Use at most 120 characters."]
    try:
        phone = normalize_phone(phone, default_region=region_of(salon.whatsapp_phone) or "GB")
    except ValueError as exc:
        errors["customer_phone"] = [str(exc)]
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["customer_email"] = ["Enter a valid email address."]
    if errors:
        raise InvalidInput(details=errors)
    return name, phone, email


def _lock_phone_at_salon(*, salon: Salon, phone: str) -> None:
    """Order the online bookings of one phone at one salon, and only those:
    a transaction-scoped advisory lock on PostgreSQL, so bookings by other
    customers of the salon never wait on it (locking the salon's row made
    every online booking of a salon wait in one queue). SQLite lets one
    writer at a time in anyway."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(f"online-limit:{salon.pk}:{phone}".encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])


def _check_online_limit(*, salon: Salon, phone: str, now: dt.datetime) -> None:
    """Refuse one more online booking for ``phone`` when it already holds the
    salon's limit of upcoming ones (each occurrence of a series counts).

    Called inside the booking's transaction, under the phone's lock: two
    requests for the same phone at once would otherwise both count below the
    limit and both book.
    """
    _lock_phone_at_salon(salon=salon, phone=phone)
    upcoming = (
        Booking.objects.filter(
            salon=salon,
            customer_phone=phone,
            status__in=Booking.ACTIVE_STATUSES,
            start__gt=now,
            history__from_status="",
            history__actor=BookingStatusChange.Actor.CUSTOMER,
        )
        .distinct()
        .count()
    )
    if upcoming >= salon.online_bookings_per_phone:
        raise TooManyBookings(
            f"This phone number already has {upcoming} upcoming bookings here, the most the salon takes online. "
            "Please call the salon to book more.",
            details={"limit": salon.online_bookings_per_phone},
        )


def _phone_booked_at(*, salon: Salon, phone: str, start: dt.datetime, other_than: int | None = None) -> bool:
    live = Booking.objects.filter(salon=salon, customer_phone=phone, start=start, status__in=Booking.ACTIVE_STATUSES)
    return live.exclude(pk=other_than).exists() if other_than else live.exists()


def _already_booked() -> AlreadyBooked:
    return AlreadyBooked(details={"customer_phone": [AlreadyBooked.default_message]})


def _check_phone_free_at(*, salon: Salon, phone: str, start: dt.datetime) -> None:
    """Refuse a second live booking of one phone at one start here: the
    customer cannot sit in two chairs. A read, for the clear answer in the
    common case (a submit sent twice); the unique key
    ``booking_one_live_per_phone_and_start`` is what decides between two
    requests racing (``_write_refused``)."""
    if _phone_booked_at(salon=salon, phone=phone, start=start):
        raise _already_booked()


def _write_refused(*, salon: Salon, phone: str, start: dt.datetime, other_than: int | None = None) -> DomainError:
    """What the database refusing a booking's write means. Either another
    request took the time (a slot's holder key, a resource unit's key) or
    this phone has just been booked at this start (the phone's key): asked
    after the rollback, when the winner's row is committed and visible."""
    if _phone_booked_at(salon=salon, phone=phone, start=start, other_than=other_than):
        return _already_booked()
    return SlotUnavailable()


def _status_change(booking: Booking, from_status: str, actor: Actor, note: str = "") -> BookingStatusChange:
    return BookingStatusChange(
        booking=booking,
        from_status=from_status,
        to_status=booking.status,
        actor=actor.kind,
        actor_user=actor.user if isinstance(actor.user, User) else None,
        note=note[:200],
    )


def _record(booking: Booking, from_status: str, actor: Actor, note: str = "") -> None:
    _status_change(booking, from_status, actor, note).save()


def _check_parts(salon: Salon, parts: list[PartRequest]) -> None:
    """Refuse a visit of too many parts, or a further part whose service or
    staff member cannot be booked here (the first is checked with the start)."""
    if len(parts) > MAX_PARTS:
        raise InvalidInput(details={"services": [f"Book at most {MAX_PARTS} services in one visit."]})
    errors = {
        str(position): found
        for position, part in enumerate(parts)
        if position > 0
        and (found := service_and_staff_errors(salon=salon, service=part.service, staff_member=part.staff_member))
    }
    if errors:
        raise InvalidInput(details={"services": errors})


def _lock_parts(
    booking: Booking, parts: list[PartRequest], *, start: dt.datetime
) -> tuple[list[Slot], list[BookingPart]]:
    """Lock the free slots every part of ``booking`` needs from ``start``, set
    the booking's times and return the slots and the parts laid out in time;
    ``_hold`` holds them once the booking has an id.

    The lock on the slots is what orders racing requests for the same time.
    """
    laid_out = [
        BookingPart(
            salon=booking.salon,
            position=position,
            service=part.service,
            staff_member=part.staff_member,
            start=part_start,
            end=part_start + part.service.duration,
        )
        for position, (part, part_start) in enumerate(
            zip(parts, part_starts(start, [part.service for part in parts]), strict=True)
        )
    ]
    slots = slots_lock_for_parts(
        needs=[StaffNeed(part.staff_member_id, staff_periods(part.service, part.start)) for part in laid_out]
    )
    booking.start = start
    booking.end = laid_out[-1].end
    booking.held_until = max(slot.end for slot in slots)
    return slots, laid_out


def _hold(booking: Booking, slots: list[Slot], parts: list[BookingPart]) -> None:
    """Hold the slots and the resources of ``parts`` for ``booking``: in one
    transaction with the booking, so all or none."""
    holds_place(salon=booking.salon, slots=slots, holder=Holder.booking(booking.pk))
    needs = needs_of_services({part.service_id for part in parts})
    resources_hold(
        salon=booking.salon,
        needs=[
            ResourceNeed(resource.pk, part.start, part.end, part.position)
            for part in parts
            for resource in needs.get(part.service_id, [])
        ],
        booking_id=booking.pk,
    )


def _release(booking: Booking) -> list[Slot]:
    resources_release(booking_id=booking.pk)
    return holds_release(salon=booking.salon, holder=Holder.booking(booking.pk))


# --- Services -----------------------------------------------------------------------


def booking_create(*, request: BookingRequest, actor: Actor | None = None, now: dt.datetime | None = None) -> Booking:
    """Book what ``request`` asks for, and tell the customer (and the salon,
    when the customer booked it).

    Holds every consecutive slot that the service and its buffer need, all or
    none. Confirms at once when the salon auto-confirms. Raises
    ``InvalidInput``, ``TooShortNotice`` and ``TooManyBookings`` (customers
    only: the salon's limit of upcoming online bookings per phone),
    ``OutsideBookingWindow``, ``SlotUnavailable`` or ``AlreadyBooked`` (the
    phone already has a live booking at that start here); the database's own
    constraints are the last guard against a double booking.
    """
    return _booking_write(request, actor=actor or Actor.customer(), now=now or timezone.now(), announce=True)


def booking_create_unannounced(*, request: BookingRequest, actor: Actor, now: dt.datetime) -> Booking:
    """``booking_create`` without the confirmation and the salon's alert:
    for an occurrence of a standing appointment (its own reminders; the plan
    announces the whole series once) and for bookings the demo writes into
    its past."""
    return _booking_write(request, actor=actor, now=now, announce=False)


def _booking_write(request: BookingRequest, *, actor: Actor, now: dt.datetime, announce: bool) -> Booking:
    salon, service, staff_member, start = request.salon, request.service, request.staff_member, request.start
    customer = request.customer
    name, phone, email = _check_customer(salon=salon, name=customer.name, phone=customer.phone, email=customer.email)
    check_start_offered(
        salon=salon, service=service, staff_member=staff_member, start=start, now=now, with_notice=actor.is_customer
    )
    _check_parts(salon, request.parts)
    try:
        with transaction.atomic():
            if actor.is_customer:
                _check_online_limit(salon=salon, phone=phone, now=now)
            _check_phone_free_at(salon=salon, phone=phone, start=start)
            booking = Booking(
                salon=salon,
                service=service,
                staff_member=staff_member,
                customer_name=name,
                customer_phone=phone,
                customer_email=email,
            )
            slots, parts = _lock_parts(booking, request.parts, start=start)
            # Confirmed before the first write when the salon auto-confirms:
            # one insert, and the history still reads "pending", then "confirmed".
            history = [_status_change(booking, "", actor)]
            if salon.auto_confirm:
                booking.confirm()
                history.append(_status_change(booking, Booking.Status.PENDING, Actor.system(), "confirmed automatically"))
            booking.save()
            for part in parts:
                part.booking = booking
            BookingPart.objects.bulk_create(parts)
            _hold(booking, slots, parts)
            BookingStatusChange.objects.bulk_create(history)
            send_on_commit(signals.booking_created, sender=Booking, booking=booking, actor=actor.kind)
            if salon.auto_confirm:
                send_on_commit(signals.booking_confirmed, sender=Booking, booking=booking, actor="system")
            lifecycle.booking_messages_created(
                booking=booking, by_customer=actor.is_customer, now=now, announce=announce
            )
    except IntegrityError:
        # Another request won the slot, or booked this phone at this start,
        # between our read and our write.
        raise _write_refused(salon=salon, phone=phone, start=start) from None
    return booking


def _locked(booking: Booking) -> Booking:
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("salon", "service", "staff_member")
        .get(pk=booking.pk)
    )


def _refuse(booking: Booking, move: str, *, now: dt.datetime, message: str | None = None) -> InvalidTransition:
    return InvalidTransition(
        message or f"A {booking.get_status_display().lower()} booking cannot {move.replace('_', ' ')}.",
        details={"status": booking.status, "allowed": allowed_moves(booking, now=now)},
    )


def _check_move(booking: Booking, move: str, *, now: dt.datetime) -> None:
    """Refuse ``move`` unless the status allows it and, at ``now``, the time does too."""
    if not can_proceed(getattr(booking, move)):
        raise _refuse(booking, move, now=now)
    if not _time_allows(booking, move, now):
        if move == "cancel":
            message = "This appointment has already started and can no longer be cancelled."
        else:
            message = "This can only be recorded once the appointment has started."
        raise _refuse(booking, move, now=now, message=message)


def _check_customer_cutoff(booking: Booking, *, actor: Actor, now: dt.datetime, closing: str) -> None:
    """A customer cancels or moves online only until the salon's cut-off
    before the start; staff are not held to it. ``closing`` opens the
    message: "Online cancellation closes", "Online changes close"."""
    if not actor.is_customer:
        return
    closes = booking.salon.cancellation_closes(booking.start)
    if now >= closes:
        raise CancellationClosed(
            f"{closing} {booking.salon.cancellation_cutoff_hours} hours before the appointment; "
            f"please contact {booking.salon.name}.",
            details={"cancellable_until": closes.isoformat()},
        )


def _transition(
    booking: Booking,
    *,
    move: str,
    target: str,
    signal,
    actor: Actor,
    now: dt.datetime,
    note: str = "",
    messages: Callable[..., None] | None = None,
) -> Booking:
    """Lock the booking, check ``move`` again at ``now``, make it, record it,
    write the ``messages`` it owes and send ``signal`` on commit."""
    with transaction.atomic():
        locked = _locked(booking)
        if locked.status == target:
            return locked  # already done: a retry is harmless
        _check_move(locked, move, now=now)
        from_status = locked.status
        getattr(locked, move)()
        locked.save(update_fields=["status", "updated_at"])
        _record(locked, from_status, actor, note)
        if messages is not None:
            messages(booking=locked, now=now)
        send_on_commit(signal, sender=Booking, booking=locked, actor=actor.kind)
    return locked


def booking_confirm(*, booking: Booking, actor: Actor, now: dt.datetime | None = None) -> Booking:
    """Staff accept a pending booking."""
    return _transition(
        booking,
        move="confirm",
        target=Booking.Status.CONFIRMED,
        signal=signals.booking_confirmed,
        actor=actor,
        now=now or timezone.now(),
        messages=lifecycle.booking_messages_confirmed,
    )


def booking_complete(*, booking: Booking, actor: Actor, now: dt.datetime | None = None) -> Booking:
    """Staff record that the appointment took place (only once it has started)."""
    return _transition(
        booking,
        move="complete",
        target=Booking.Status.COMPLETED,
        signal=signals.booking_completed,
        actor=actor,
        now=now or timezone.now(),
    )


def booking_mark_no_show(*, booking: Booking, actor: Actor, now: dt.datetime | None = None) -> Booking:
    """Staff record that the customer did not come (only once it has started)."""
    return _transition(
        booking,
        move="no_show",
        target=Booking.Status.NO_SHOW,
        signal=signals.booking_no_show,
        actor=actor,
        now=now or timezone.now(),
    )


def booking_cancel(*, booking: Booking, actor: Actor, reason: str = "", now: dt.datetime | None = None) -> Booking:
    """Cancel and free the slots.

    A customer may cancel until the salon's cut-off before the start; staff
    until the start itself. Cancelling a cancelled booking does nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(booking)
        if locked.status == Booking.Status.CANCELLED:
            return locked
        _check_move(locked, "cancel", now=now)
        _check_customer_cutoff(locked, actor=actor, now=now, closing="Online cancellation closes")
        from_status = locked.status
        locked.cancel()
        locked.save(update_fields=["status", "updated_at"])
        released = _release(locked)
        # In this transaction, so nobody can book the freed time before the waitlist is offered it.
        slots_freed_announce(salon=locked.salon, slots=released, now=now)
        _record(locked, from_status, actor, reason)
        lifecycle.booking_messages_cancelled(booking=locked, by_customer=actor.is_customer, now=now)
        send_on_commit(signals.booking_cancelled, sender=Booking, booking=locked, actor=actor.kind)
    return locked


def booking_reschedule(
    *,
    booking: Booking,
    start: dt.datetime,
    staff_member: StaffMember | None = None,
    actor: Actor,
    now: dt.datetime | None = None,
) -> Booking:
    """Move a booking to new slots, atomically: it ends up either wholly at the
    new time or untouched at the old one. The status does not change.

    The new start must be one availability offers at ``now``; a customer may
    move a booking only until the salon's cut-off before its current start.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(booking)
        if not locked.is_active:
            raise _refuse(
                locked, "reschedule", now=now, message=f"A {locked.get_status_display().lower()} booking cannot be moved."
            )
        _check_customer_cutoff(locked, actor=actor, now=now, closing="Online changes close")
        target_staff = staff_member or locked.staff_member
        parts = list(locked.parts.select_related("service", "staff_member").order_by("position"))
        check_start_offered(
            salon=locked.salon,
            service=locked.service,
            staff_member=target_staff,
            start=start,
            now=now,
            with_notice=actor.is_customer,
        )
        if start == locked.start and target_staff.pk == locked.staff_member_id:
            return locked
        previous_start, previous_staff_member_id = locked.start, locked.staff_member_id
        # The parts keep their order and staff members (the first may change to ``staff_member``).
        wanted = [PartRequest(part.service, part.staff_member) for part in parts]
        wanted[0] = PartRequest(parts[0].service, target_staff)
        try:
            with transaction.atomic():
                released = _release(locked)
                locked.staff_member = target_staff
                slots, moved = _lock_parts(locked, wanted, start=start)
                locked.save(update_fields=["staff_member", "start", "end", "held_until", "updated_at"])
                for part, new in zip(parts, moved, strict=True):
                    part.staff_member, part.start, part.end = new.staff_member, new.start, new.end
                BookingPart.objects.bulk_update(parts, ["staff_member", "start", "end"])
                _hold(locked, slots, parts)
            slots_freed_announce(salon=locked.salon, slots=released, now=now)
        except IntegrityError:
            raise _write_refused(
                salon=locked.salon, phone=locked.customer_phone, start=start, other_than=locked.pk
            ) from None
        _record(locked, locked.status, actor, f"moved from {previous_start.isoformat()}")
        lifecycle.booking_messages_moved(booking=locked, previous_start=previous_start, now=now)
        send_on_commit(
            signals.booking_rescheduled,
            sender=Booking,
            booking=locked,
            actor=actor.kind,
            previous_start=previous_start,
            previous_staff_member_id=previous_staff_member_id,
        )
    return locked
