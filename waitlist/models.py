"""Waitlist entries and the offers made to them (the slots an offer holds are
``slots.Hold`` rows of kind "offer")."""

from __future__ import annotations

import datetime as dt
import hmac

from django.db import models
from django.utils import timezone

from bookings.models import Booking, new_manage_token, new_reference
from salons.models import Salon, Service, StaffMember


class WaitlistEntry(models.Model):
    """A customer waiting for a start of ``service`` between two local dates."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offered a time"
        BOOKED = "booked", "Booked"
        LEFT = "left", "Left"
        CLOSED = "closed", "Closed (dates passed)"

    OPEN_STATUSES = (Status.WAITING, Status.OFFERED)

    reference = models.CharField(max_length=32, unique=True, default=new_reference, editable=False)
    manage_token = models.CharField(max_length=64, default=new_manage_token, editable=False)
    salon = models.ForeignKey(Salon, on_delete=models.PROTECT, related_name="waitlist")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    staff_member = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="Empty: anyone"
    )
    date_from = models.DateField(help_text="Salon-local, inclusive")
    date_to = models.DateField(help_text="Salon-local, inclusive")
    earliest = models.TimeField(null=True, blank=True, help_text="Salon-local: no start before")
    latest = models.TimeField(null=True, blank=True, help_text="Salon-local: no start after")
    customer_name = models.CharField(max_length=120)
    customer_phone = models.CharField(max_length=20, help_text="E.164")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    joined_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["joined_at", "id"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.CheckConstraint(condition=models.Q(date_from__lte=models.F("date_to")), name="waitlist_dates_in_order"),
        ]
        indexes = [models.Index(fields=["salon", "status", "joined_at"], name="waitlist_salon_status")]

    def __str__(self) -> str:
        return f"{self.reference} {self.status}"

    def __repr__(self) -> str:
        return f"<WaitlistEntry {self.pk} {self.reference} {self.status}>"

    def token_matches(self, token: str | None) -> bool:
        """Constant-time check of the customer's token."""
        return bool(token) and hmac.compare_digest(self.manage_token.encode(), str(token).encode())

    def fits(self, local_start: dt.datetime) -> bool:
        """Whether a salon-local start is inside the entry's dates and hours."""
        if not self.date_from <= local_start.date() <= self.date_to:
            return False
        wall = local_start.time().replace(tzinfo=None)
        if self.earliest is not None and wall < self.earliest:
            return False
        return self.latest is None or wall <= self.latest


class WaitlistOffer(models.Model):
    """A start held for one entry until ``expires_at``."""

    class Status(models.TextChoices):
        LIVE = "live", "Live"
        CLAIMED = "claimed", "Claimed"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn by staff"
        CANCELLED = "cancelled", "Cancelled (customer left)"

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.PROTECT, related_name="offers")
    salon = models.ForeignKey(Salon, on_delete=models.PROTECT, related_name="+")
    staff_member = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.LIVE)
    by_hand = models.BooleanField(default=False, help_text="Offered by staff rather than by the matcher")
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One live offer per entry: a second one fails in the database.
            models.UniqueConstraint(
                fields=["entry"], condition=models.Q(status="live"), name="waitlist_one_live_offer_per_entry"
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="waitlist_offer_status_expiry")]

    def __str__(self) -> str:
        return f"offer {self.pk} to {self.entry_id} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.LIVE
