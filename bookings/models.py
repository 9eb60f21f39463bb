"""Bookings and what hangs off them: status history, series, the slots a
booking holds, customer notes. One module because
Django finds an app's tables here; the waitlist's live in their own, imported
at the end.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from salons.models import Salon, Service, StaffMember

if TYPE_CHECKING:
    from django_fsm import Transition


def new_reference() -> str:
    """128 random bits, base32: unguessable, and easy to read out on the phone."""
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def new_manage_token() -> str:
    return secrets.token_urlsafe(32)


class BookingSeries(models.Model):
    """A standing appointment: bookings of one service with one staff member,
    every ``every_weeks`` weeks at the same wall-clock time, booked together."""

    salon = models.ForeignKey(Salon, on_delete=models.PROTECT, related_name="booking_series")
    every_weeks = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(52)])
    count = models.PositiveSmallIntegerField(validators=[MinValueValidator(2), MaxValueValidator(26)])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "booking series"

    def __str__(self) -> str:
        return f"series {self.pk}: {self.count} every {self.every_weeks} weeks"


class Booking(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"
        NO_SHOW = "no_show", "No-show"

    ACTIVE_STATUSES = (Status.PENDING, Status.CONFIRMED)

    reference = models.CharField(max_length=32, unique=True, default=new_reference, editable=False)
    manage_token = models.CharField(max_length=64, default=new_manage_token, editable=False)

    salon = models.ForeignKey(Salon, on_delete=models.PROTECT, related_name="bookings")
    # The first part's service and staff member (``parts``: every one of a visit).
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="bookings")
    staff_member = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="bookings")
    start = models.DateTimeField()
    end = models.DateTimeField(help_text="End of the service itself (of the last part's, for a visit)")
    held_until = models.DateTimeField(help_text="End of the last slot held: the service, its buffer, rounded to slots")

    customer_name = models.CharField(max_length=120)
    customer_phone = models.CharField(max_length=20, help_text="E.164")
    customer_email = models.EmailField(blank=True)

    series = models.ForeignKey(
        BookingSeries, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings"
    )

    status = FSMField(choices=Status.choices, default=Status.PENDING, protected=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    if TYPE_CHECKING:
        # Added to the class by the FSMField above.
        def get_available_status_transitions(self) -> Iterator[Transition]: ...

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(start__lt=models.F("end")), name="booking_start_before_end"),
            models.CheckConstraint(condition=models.Q(end__lte=models.F("held_until")), name="booking_end_within_hold"),
            # One person is in one chair at a time: a second live booking of
            # the same phone at the same start (a double submit, "any
            # stylist" retried without an Idempotency-Key) is refused by the
            # database, whichever stylist it would land with. Partial, so
            # cancelled and finished bookings never stand in the way.
            models.UniqueConstraint(
                fields=["salon", "customer_phone", "start"],
                condition=models.Q(status__in=["pending", "confirmed"]),
                name="booking_one_live_per_phone_and_start",
            ),
        ]
        indexes = [
            models.Index(fields=["salon", "start"], name="booking_salon_start"),
            models.Index(fields=["staff_member", "start"], name="booking_staff_start"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.start:%Y-%m-%d %H:%M}Z {self.status}"

    def __repr__(self) -> str:
        # Never the token, the phone or the email: reprs end up in logs.
        return f"<Booking {self.pk} {self.reference} {self.status}>"

    def token_matches(self, token: str | None) -> bool:
        """Constant-time check of a customer's manage token."""
        return bool(token) and hmac.compare_digest(self.manage_token.encode(), str(token).encode())

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def local_start(self):
        return timezone.localtime(self.start, self.salon.tz)

    def has_started(self, now: dt.datetime) -> bool:
        return now >= self.start

    # The transitions say which status may follow which. The rules about time
    # (cancel only before the start, complete and no-show only after it) are
    # the services' (``bookings.services.allowed_moves``): they are asked at
    # an instant the caller passes in, so they can be tested at any instant.

    @transition(field=status, source=Status.PENDING, target=Status.CONFIRMED)
    def confirm(self) -> None:
        pass

    @transition(field=status, source=[Status.PENDING, Status.CONFIRMED], target=Status.CANCELLED)
    def cancel(self) -> None:
        pass

    @transition(field=status, source=Status.CONFIRMED, target=Status.COMPLETED)
    def complete(self) -> None:
        pass

    @transition(field=status, source=Status.CONFIRMED, target=Status.NO_SHOW)
    def no_show(self) -> None:
        pass


class BookingPart(models.Model):
    """One service of a booking, with its staff member and times.

    Every booking has at least one part; a visit has several, one after
    another (``position`` 0, 1, ...). The booking's own ``service`` and
    ``staff_member`` are its first part's and its ``start`` and ``end`` span
    them all, so what reads a booking as one service keeps working. The
    slots and resources a booking holds are held in the booking's name.
    """

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="parts")
    salon = models.ForeignKey(Salon, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    staff_member = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="booking_parts")
    start = models.DateTimeField()
    end = models.DateTimeField(help_text="End of the service itself")

    class Meta:
        ordering = ["booking_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "position"], name="booking_part_position_unique"),
            models.CheckConstraint(condition=models.Q(start__lt=models.F("end")), name="booking_part_start_before_end"),
        ]
        indexes = [models.Index(fields=["staff_member", "start"], name="booking_part_staff_start")]

    def __str__(self) -> str:
        return f"{self.booking_id}.{self.position} {self.start:%Y-%m-%d %H:%M}Z"


class BookingStatusChange(models.Model):
    class Actor(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        STAFF = "staff", "Staff"
        SYSTEM = "system", "System"

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="history")
    from_status = models.CharField(max_length=20, blank=True, help_text="Empty when the booking was created")
    to_status = models.CharField(max_length=20)
    changed_at = models.DateTimeField(default=timezone.now)
    actor = models.CharField(max_length=10, choices=Actor.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} -> {self.to_status} by {self.actor}"


class CustomerNote(models.Model):
    """Staff's note on one customer of a salon; customers are known by phone."""

    salon = models.ForeignKey(Salon, on_delete=models.CASCADE, related_name="customer_notes")
    customer_phone = models.CharField(max_length=20, help_text="E.164")
    note = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["salon", "customer_phone"], name="one_note_per_customer"),
        ]

    def __str__(self) -> str:
        # Never the phone: strings of models end up in logs.
        return f"note {self.pk} of salon {self.salon_id}"


class IdempotencyKey(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key`` header,
    or to a staff form sent with its one-time key (``bookings.form_keys``;
    scope ``form:<form>:<salon id>``, the answer where the form led).

    Kept in the database, not the cache, so a retry during a Redis outage
    still finds it.
    """

    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=100, help_text="Endpoint the key was used on")
    request_fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_unique")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"

