"""Holding resources for a booking: the only code that writes ``ResourceHold``.

A booking locks its staff members' slots first (``slots.services``), then
calls ``resources_hold`` in the same transaction, so its staff and resource
holds are taken all or none. The resources' rows are locked in id order,
which orders racing bookings of one resource without deadlocks; under the
lock the held cells are counted and each needed cell gets the lowest free
unit. The unique key on (resource, unit, cell) stays the last word: a
second holder of a unit at a cell is refused with an ``IntegrityError``,
which the caller turns into ``SlotUnavailable`` like a taken slot.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from resources.models import Resource, ResourceHold, cells
from salonbook.errors import SlotUnavailable
from salons.models import Salon


@dataclass(frozen=True)
class ResourceNeed:
    """``resource_id`` wanted over ``[start, end)`` by the visit's part ``part`` (0-based)."""

    resource_id: int
    start: dt.datetime
    end: dt.datetime
    part: int = 0


def needed_cells(needs: Sequence[ResourceNeed]) -> dict[int, dict[dt.datetime, int]]:
    """Per resource, each cell the needs touch and the first part touching it.
    One visit takes one unit per cell: its parts follow each other, so two of
    them share a cell only where one ends and the next begins."""
    wanted: dict[int, dict[dt.datetime, int]] = defaultdict(dict)
    for need in needs:
        for cell in cells(need.start, need.end):
            wanted[need.resource_id].setdefault(cell, need.part)
    return wanted


def resources_hold(*, salon: Salon, needs: Sequence[ResourceNeed], booking_id: int) -> None:
    """Hold one unit of each needed resource for each cell, for the booking ``booking_id``.

    Raises ``SlotUnavailable`` naming the part and the resource when every
    unit of a cell is taken (or the resource is gone), and ``IntegrityError``
    if the database refuses a unit after all. Call inside a transaction."""
    wanted = needed_cells(needs)
    if not wanted:
        return
    resources = {
        r.pk: r for r in Resource.objects.select_for_update().filter(pk__in=sorted(wanted), salon=salon).order_by("pk")
    }
    taken: dict[tuple[int, dt.datetime], set[int]] = defaultdict(set)
    every_cell = {cell for by_cell in wanted.values() for cell in by_cell}
    for resource_id, cell, unit in ResourceHold.objects.filter(
        resource_id__in=list(wanted), cell__in=sorted(every_cell)
    ).values_list("resource_id", "cell", "unit"):
        taken[(resource_id, cell)].add(unit)
    rows = []
    for resource_id, by_cell in wanted.items():
        resource = resources.get(resource_id)
        for cell, part in sorted(by_cell.items()):
            units = taken[(resource_id, cell)]
            free = next((u for u in range(resource.quantity) if u not in units), None) if resource else None
            if resource is None or not resource.is_active or free is None:
                name = resource.name if resource else "a resource"
                raise SlotUnavailable(
                    f"The {name} is taken at that time.",
                    details={"part": part, "resource": resource_id},
                )
            rows.append(ResourceHold(salon=salon, resource=resource, unit=free, cell=cell, booking_id=booking_id))
    ResourceHold.objects.bulk_create(rows)


def resources_release(*, booking_id: int) -> None:
    """Free every resource ``booking_id`` holds."""
    ResourceHold.objects.filter(booking_id=booking_id).delete()
