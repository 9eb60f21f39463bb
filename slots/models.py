from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from salons.models import Salon, StaffMember

if TYPE_CHECKING:
    from django_fsm import Transition


class Slot(FSMModelMixin, models.Model):
    """One staff member's bookable time, ``[start, end)`` in UTC.

    Who holds a slot is its ``Hold`` row; ``status`` repeats it (booked for a
    booking's hold, held for any other) so that availability reads one table.
    Both are written together by ``slots.holds``; staff move a slot between
    available and blocked through the transitions below.
    """

    class Status(models.TextChoices):
        AVAILABLE = "available", "Available"
        BOOKED = "booked", "Booked"
        BLOCKED = "blocked", "Blocked"
        # Kept for a waitlist offer: nobody else is offered it or can book it.
        HELD = "held", "Held for an offer"

    salon = models.ForeignKey(Salon, on_delete=models.PROTECT, related_name="slots")
    staff_member = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="slots")
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = FSMField(choices=Status.choices, default=Status.AVAILABLE, protected=True)
    block_reason = models.CharField(max_length=120, blank=True)

    if TYPE_CHECKING:
        # Added to the class by the FSMField above.
        def get_available_status_transitions(self) -> Iterator[Transition]: ...

    class Meta:
        ordering = ["start", "staff_member_id"]
        constraints = [
            # Generation is idempotent because a second identical slot cannot exist.
            models.UniqueConstraint(fields=["staff_member", "start"], name="slot_unique_start_per_staff"),
            models.CheckConstraint(condition=models.Q(start__lt=models.F("end")), name="slot_start_before_end"),
        ]
        indexes = [models.Index(fields=["salon", "start"], name="slot_salon_start")]

    def __str__(self) -> str:
        return f"{self.staff_member_id} {self.start:%Y-%m-%d %H:%M}Z {self.status}"

    @transition(field=status, source=Status.AVAILABLE, target=Status.BLOCKED)
    def block(self, reason: str = "") -> None:
        self.block_reason = reason[:120]

    @transition(field=status, source=Status.BLOCKED, target=Status.AVAILABLE)
    def unblock(self) -> None:
        self.block_reason = ""


class Hold(models.Model):
    """One claim on one slot: a booking's or a waitlist offer's.

    Every claim on a slot is a row here, and the one-to-one key on ``slot``
    is the guard that matters: whatever the code checked before, the
    database refuses a second holder of the same time. ``holder_id`` is the
    id of the booking or offer (apps above slots own those tables, so it is a
    plain reference, read with ``kind``).
    """

    class Kind(models.TextChoices):
        BOOKING = "booking", "Booking"
        OFFER = "offer", "Waitlist offer"

    salon = models.ForeignKey(Salon, on_delete=models.PROTECT, related_name="+")
    slot = models.OneToOneField(Slot, on_delete=models.PROTECT, related_name="hold")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    holder_id = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["kind", "holder_id"], name="hold_holder")]

    def __str__(self) -> str:
        return f"{self.kind} {self.holder_id} holds {self.slot_id}"
