"""A salon's resources (chairs, basins, rooms, machines) and the time they are held.

A resource has a quantity: two basins are one resource of quantity 2. Its
guard is the staff member's kind, a unique key the database checks: time is
cut into cells of ``CELL`` (five minutes, finer than any slot length and
independent of it, so a salon that changes its slot length keeps one grid),
and a held cell is a row keyed by resource, unit and cell. A second holder
of the same unit at the same cell is refused by the database, and units are
numbered below the quantity, so no cell ever has more holders than the
resource has units.
"""

from __future__ import annotations

import datetime as dt

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from salons.models import Salon, Service

CELL = dt.timedelta(minutes=5)


class Resource(models.Model):
    salon = models.ForeignKey(Salon, on_delete=models.PROTECT, related_name="resources")
    name = models.CharField(max_length=80)
    quantity = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(50)], help_text="How many of it the salon has"
    )
    services = models.ManyToManyField(
        Service, blank=True, related_name="resources", help_text="Services that need one of it for their whole time"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["salon_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["salon", "name"], name="resource_unique_name_per_salon"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="resource_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ×{self.quantity}"


class ResourceHold(models.Model):
    """One unit of a resource held for one cell of time by a booking.

    ``booking_id`` is the booking's id (bookings sit above this app, so it is
    a plain reference, as ``slots.Hold``'s is)."""

    salon = models.ForeignKey(Salon, on_delete=models.PROTECT, related_name="+")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="holds")
    unit = models.PositiveSmallIntegerField()
    cell = models.DateTimeField(help_text="Start of a five-minute cell, UTC")
    booking_id = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "unit", "cell"], name="resource_unit_held_once"),
        ]
        indexes = [
            models.Index(fields=["booking_id"], name="resource_hold_holder"),
            models.Index(fields=["resource", "cell"], name="resource_hold_cell"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_id}#{self.unit} {self.cell:%Y-%m-%d %H:%M}Z by {self.booking_id}"


def cells(start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """The cells that ``[start, end)`` touches, on a grid from the epoch (every
    zone's offset is a whole number of cells, so local times align too)."""
    step = int(CELL.total_seconds())
    first = int(start.timestamp()) // step * step
    last = int(end.timestamp())
    return [dt.datetime.fromtimestamp(t, dt.UTC) for t in range(first, last, step)]
