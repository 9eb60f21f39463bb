from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from salons.models import Salon, StaffMember

if TYPE_CHECKING:
    from django_fsm import Transition


class Slot(FSMModelMixin, models.Model):
    """One staff member's bookable time, ``[start, end)`` in UTC."""

    class Status(models.TextChoices):
        AVAILABLE = "available", "Available"
        BOOKED = "booked", "Booked"
        BLOCKED = "blocked", "Blocked"
        # Kept for one waitlist offer: nobody else is offered it or can book it.
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

    @transition(field=status, source=Status.AVAILABLE, target=Status.BOOKED)
    def book(self) -> None:
        pass

    @transition(field=status, source=Status.BOOKED, target=Status.AVAILABLE)
    def release(self) -> None:
        pass

    @transition(field=status, source=Status.AVAILABLE, target=Status.HELD)
    def hold_for_offer(self) -> None:
        pass

    @transition(field=status, source=Status.HELD, target=Status.AVAILABLE)
    def release_hold(self) -> None:
        pass

    @transition(field=status, source=Status.HELD, target=Status.BOOKED)
    def book_held(self) -> None:
        pass

    @transition(field=status, source=Status.AVAILABLE, target=Status.BLOCKED)
    def block(self, reason: str = "") -> None:
        self.block_reason = reason[:120]

    @transition(field=status, source=Status.BLOCKED, target=Status.AVAILABLE)
    def unblock(self) -> None:
        self.block_reason = ""
