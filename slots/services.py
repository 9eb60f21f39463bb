"""Every change to slots: generation, blocking, locking a free run for a
booking or an offer (``slots.holds`` then holds it), and the one route for
freed time. Events go out after the transaction commits.

Kept in one module (over the usual length) because these share one lock
order, slots in start order, and the re-read after the lock: reading them
side by side is how to check that no two can deadlock or double-book.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_fsm import can_proceed

from salonbook.errors import InvalidInput, InvalidTransition, SlotUnavailable
from salonbook.events import send_on_commit
from salons.models import Salon, StaffMember
from slots import signals
from slots.models import Slot
from slots.signals import send_slot_event

logger = logging.getLogger(__name__)


# --- Generation ----------------------------------------------------------------


@dataclass
class GenerationResult:
    created: int = 0
    removed: int = 0

    def __iadd__(self, other: GenerationResult) -> GenerationResult:
        self.created += other.created
        self.removed += other.removed
        return self


def local_starts(
    *, salon: Salon, staff_member: StaffMember, first_day: dt.date, days: int
) -> dict[dt.datetime, dt.datetime]:
    """The slots working hours call for, as ``{start: end}`` in UTC: none on
the member's days off or while the salon is closed.

    Slots follow the wall clock of the salon: 09:00 is 09:00 in winter and in
    summer. On the night the clocks go forward, times that do not exist are
    skipped; on the night they go back, a repeated time gets one slot (its
    first occurrence), so no hour is ever doubled.
    """
    tz = salon.tz
    length = salon.slot_length
    hours = {wh.weekday: wh for wh in staff_member.working_hours.all()}
    days_off = {off.date for off in staff_member.days_off.all()}
    last_day = first_day + dt.timedelta(days=days - 1)
    closures = [(c.date_from, c.date_to) for c in salon.closures.all() if c.date_to >= first_day and c.date_from <= last_day]
    wanted: dict[dt.datetime, dt.datetime] = {}
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        working = hours.get(day.weekday())
        if working is None or day in days_off or any(opens <= day <= closes for opens, closes in closures):
            continue
        for opens, closes in working.intervals():
            wall = dt.datetime.combine(day, opens)
            closing = dt.datetime.combine(day, closes)
            while wall + length <= closing:
                start = wall.replace(tzinfo=tz).astimezone(dt.UTC)
                if start.astimezone(tz).replace(tzinfo=None) == wall:  # skips non-existent times
                    wanted[start] = start + length
                wall += length
    return wanted


def slots_sync_for_staff(
    *, staff_member: StaffMember, days: int | None = None, now: dt.datetime | None = None
) -> GenerationResult:
    """Make the staff member's future free slots match their working hours.

    Creates the slots that are missing and removes free ones that hours no
    longer call for. Booked and blocked slots are never touched. Running it
    twice changes nothing the second time.
    """
    salon = staff_member.salon
    now = now or timezone.now()
    days = days or salon.booking_window_days
    first_day = timezone.localtime(now, salon.tz).date()
    horizon_end = dt.datetime.combine(first_day + dt.timedelta(days=days), dt.time.min, tzinfo=salon.tz)

    wanted = {}
    if staff_member.is_active:
        wanted = {
            start: end
            for start, end in local_starts(
                salon=salon, staff_member=staff_member, first_day=first_day, days=days
            ).items()
            if start > now
        }
    result = GenerationResult()
    with transaction.atomic():
        existing = list(
            Slot.objects.filter(staff_member=staff_member, start__gt=now, start__lt=horizon_end).only(
                "id", "start", "end", "status"
            )
        )
        stale_ids = [s.pk for s in existing if s.status == Slot.Status.AVAILABLE and wanted.get(s.start) != s.end]
        if stale_ids:
            # Skip rows a booking is locking right now: it is taking them.
            lockable = list(
                Slot.objects.select_for_update(skip_locked=True)
                .filter(pk__in=stale_ids, status=Slot.Status.AVAILABLE)
                .values_list("pk", flat=True)
            )
            result.removed, _ = Slot.objects.filter(pk__in=lockable).delete()
            removed = set(lockable)
            existing = [s for s in existing if s.pk not in removed]

        taken = sorted((s.start, s.end) for s in existing)
        taken_starts = [start for start, _ in taken]
        new_slots = [
            Slot(salon=salon, staff_member=staff_member, start=start, end=end)
            for start, end in sorted(wanted.items())
            if not _overlaps(taken, taken_starts, start, end)
        ]
        created = Slot.objects.bulk_create(new_slots, ignore_conflicts=True)
        result.created = len(created)
        if new_slots:
            slots_freed_announce(salon=salon, slots=new_slots, now=now)
    if result.created or result.removed:
        send_on_commit(
            signals.slots_generated, sender=Slot, salon_id=salon.pk, created=result.created, removed=result.removed
        )
    return result


def slots_extend_for_staff(
    *, staff_member: StaffMember, first_day: dt.date, last_day: dt.date, now: dt.datetime | None = None
) -> GenerationResult:
    """Create the staff member's slots for the salon-local days ``first_day``
    to ``last_day`` (days that came into the booking window), leaving every
    other day alone: what the hourly sweep does once a day per staff member,
    instead of re-reading the whole window. Idempotent like a full sync.
    """
    salon = staff_member.salon
    now = now or timezone.now()
    result = GenerationResult()
    if not staff_member.is_active or last_day < first_day:
        return result
    days = (last_day - first_day).days + 1
    wanted = {
        start: end
        for start, end in local_starts(salon=salon, staff_member=staff_member, first_day=first_day, days=days).items()
        if start > now
    }
    if not wanted:
        return result
    begin = dt.datetime.combine(first_day, dt.time.min, tzinfo=salon.tz)
    end_of_range = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min, tzinfo=salon.tz)
    with transaction.atomic():
        taken = sorted(
            Slot.objects.filter(staff_member=staff_member, end__gt=begin, start__lt=end_of_range).values_list(
                "start", "end"
            )
        )
        taken_starts = [start for start, _ in taken]
        new_slots = [
            Slot(salon=salon, staff_member=staff_member, start=start, end=end)
            for start, end in sorted(wanted.items())
            if not _overlaps(taken, taken_starts, start, end)
        ]
        result.created = len(Slot.objects.bulk_create(new_slots, ignore_conflicts=True))
        if new_slots:
            slots_freed_announce(salon=salon, slots=new_slots, now=now)
    if result.created:
        send_on_commit(signals.slots_generated, sender=Slot, salon_id=salon.pk, created=result.created, removed=0)
    return result


def _overlaps(taken: list[tuple[dt.datetime, dt.datetime]], starts: list[dt.datetime], start, end) -> bool:
    index = bisect.bisect_left(starts, end)
    # Only the slot that starts last before ``end`` can overlap ``[start, end)``.
    return index > 0 and taken[index - 1][1] > start


def slots_generate(
    *, salon: Salon | None = None, days: int | None = None, now: dt.datetime | None = None
) -> GenerationResult:
    """Fill the rolling window of slots for one salon or all of them."""
    staff = StaffMember.objects.select_related("salon").prefetch_related(
        "working_hours", "days_off", "salon__closures"
    )
    if salon is not None:
        staff = staff.filter(salon=salon)
    result = GenerationResult()
    for member in staff:
        result += slots_sync_for_staff(staff_member=member, days=days, now=now)
    logger.info("slots generated: %d created, %d removed", result.created, result.removed)
    return result


# --- Blocking ------------------------------------------------------------------


def _slot_transition(
    slot: Slot, *, move: str, target: str, signal, refusal: str, refusal_when: Mapping[str, str] | None = None, **arguments
) -> Slot:
    """Lock the slot, read its status again, make ``move`` and send ``signal`` on commit.

    A slot already at ``target`` is left as it is: a repeated click is harmless.
    A move the state machine refuses raises ``InvalidTransition`` with the
    moves the slot allows, and ``refusal_when[status]`` (else ``refusal``) as
    its message.
    """
    with transaction.atomic():
        locked = Slot.objects.select_for_update().select_related("salon").get(pk=slot.pk)
        if locked.status == target:
            return locked
        method = getattr(locked, move)
        if not can_proceed(method):
            raise InvalidTransition(
                (refusal_when or {}).get(locked.status, refusal),
                details={"status": locked.status, "allowed": allowed_slot_moves(locked)},
            )
        method(**arguments)
        locked.save(update_fields=["status", "block_reason"])
        send_slot_event(signal, locked.salon, [locked])
    return locked


def slot_block(*, slot: Slot, reason: str = "") -> Slot:
    """Take a free slot out of booking (lunch, an errand). Blocking a blocked slot does nothing."""
    return _slot_transition(
        slot,
        move="block",
        target=Slot.Status.BLOCKED,
        signal=signals.slot_blocked,
        refusal="A booked slot cannot be blocked; cancel or move the booking first.",
        refusal_when={
            Slot.Status.HELD: "This time is held for a waitlist offer; withdraw the offer first, or wait until "
            "it is claimed or expires."
        },
        reason=reason,
    )


def slot_unblock(*, slot: Slot, now: dt.datetime | None = None) -> Slot:
    """Make a blocked slot bookable again. Unblocking a free slot does nothing.

    The freed time is announced in the same transaction, so a waitlist offer
    can hold it before anyone else can book it.
    """
    with transaction.atomic():
        was_blocked = Slot.objects.filter(pk=slot.pk, status=Slot.Status.BLOCKED).exists()
        locked = _slot_transition(
            slot,
            move="unblock",
            target=Slot.Status.AVAILABLE,
            signal=signals.slot_unblocked,
            refusal="Only a blocked slot can be unblocked.",
        )
        if was_blocked:
            slots_freed_announce(salon=locked.salon, slots=[locked], now=now or timezone.now())
    return locked


def slots_block_range(
    *, staff_member: StaffMember, start: dt.datetime, end: dt.datetime, reason: str = ""
) -> list[Slot]:
    """Block every free slot of ``staff_member`` inside ``[start, end)``.

    Booked slots stay booked; the caller sees which were blocked.
    """
    if start >= end:
        raise InvalidInput(details={"end": ["The end must be after the start."]})
    with transaction.atomic():
        slots = list(
            Slot.objects.select_for_update()
            .filter(staff_member=staff_member, start__gte=start, end__lte=end, status=Slot.Status.AVAILABLE)
            .order_by("start")
        )
        for slot in slots:
            slot.block(reason)
        if slots:
            Slot.objects.bulk_update(slots, ["status", "block_reason"])
        send_slot_event(signals.slot_blocked, staff_member.salon, slots)
    return slots


def allowed_slot_moves(slot: Slot) -> list[str]:
    return [t.name for t in slot.get_available_status_transitions()]


# --- Locking a run of free slots, for a booking or an offer ---------------------


def slots_lock_free_run(*, staff_member: StaffMember, start: dt.datetime, busy: dt.timedelta) -> list[Slot]:
    """Lock the consecutive slots from ``start`` that ``busy`` needs and check
    that every one is free: ``slots_lock_for_parts`` for one part busy
    throughout (a waitlist offer)."""
    return slots_lock_for_parts(needs=[StaffNeed(staff_member.pk, ((start, start + busy),))])


@dataclass(frozen=True)
class StaffNeed:
    """The times one part of a booking keeps ``staff_member_id`` busy."""

    staff_member_id: int
    periods: tuple[tuple[dt.datetime, dt.datetime], ...]


def slots_lock_for_parts(*, needs: Sequence[StaffNeed]) -> list[Slot]:
    """Lock the slots each part's staff member needs for its busy periods,
    check every one is free, and return them (each once, in lock order);
    the caller then holds them (``slots.holds``).

    Call inside a transaction. Rows are locked in (start, staff) order, the
    one order every locker of slots uses, so two bookings that overlap wait
    for each other instead of deadlocking; after the lock the status is read
    again. A period is covered by the slots that overlap it, back to back
    from the one holding its beginning; a taken or missing slot raises
    ``SlotUnavailable`` naming the part (0-based). The first part must begin
    at one of its staff member's slot starts, else ``InvalidInput``.
    """
    wanted = Q()
    for need in needs:
        for begin, end in need.periods:
            wanted |= Q(staff_member_id=need.staff_member_id, start__lt=end, end__gt=begin)
    slots = list(Slot.objects.select_for_update().filter(wanted).order_by("start", "staff_member_id"))
    first = needs[0]
    if not any(s.staff_member_id == first.staff_member_id and s.start == first.periods[0][0] for s in slots):
        raise InvalidInput(details={"start": ["This is not a start time the staff member offers."]})
    for part, need in enumerate(needs):
        own = [s for s in slots if s.staff_member_id == need.staff_member_id]
        for begin, end in need.periods:
            if not _covered([s for s in own if s.start < end and s.end > begin], begin, end):
                raise SlotUnavailable(details={"part": part} if len(needs) > 1 else None)
    return list({s.pk: s for s in slots}.values())


def _covered(slots: Sequence[Slot], begin: dt.datetime, end: dt.datetime) -> bool:
    """True when ``slots`` (in start order) are available and run back to back
    from one holding ``begin`` to ``end``."""
    if not slots or slots[0].start > begin:
        return False
    for previous, following in zip(slots, slots[1:]):
        if previous.end != following.start:
            return False
    return slots[-1].end >= end and all(s.status == Slot.Status.AVAILABLE for s in slots)


# --- Freed time ------------------------------------------------------------------


def slots_freed_announce(*, salon: Salon, slots: Sequence[Slot], now: dt.datetime) -> None:
    """The one route for freed time: a cancellation, a move, an unblock, new
    hours, an offer that ended. Sends ``slots_freed`` for each staff member's
    freed run INSIDE the caller's transaction, while the rows are still
    locked, so the waitlist can hold that time before any other client can
    book it."""
    by_staff: dict[int, list[Slot]] = {}
    for slot in sorted(slots, key=lambda s: s.start):
        by_staff.setdefault(slot.staff_member_id, []).append(slot)
    for staff_member_id, own in by_staff.items():
        signals.slots_freed.send(
            sender=Slot,
            salon_id=salon.pk,
            staff_member_id=staff_member_id,
            start=own[0].start,
            end=own[-1].end,
            now=now,
        )
