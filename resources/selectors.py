"""Reads of resources: which a service needs, and how full each is over a time."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count

from resources.models import CELL, Resource, ResourceHold, cells
from salons.models import Salon


def needs_of_services(service_ids: Iterable[int]) -> dict[int, list[Resource]]:
    """The active resources each service needs, by service id (services that
    need none are left out). One query."""
    through = Resource.services.through
    needs: dict[int, list[Resource]] = defaultdict(list)
    for link in through.objects.filter(service_id__in=list(service_ids), resource__is_active=True).select_related(
        "resource"
    ):
        needs[link.service_id].append(link.resource)
    return dict(needs)


@dataclass
class ResourceUse:
    """How many units of each resource are held at each cell of a stretch of time."""

    quantity: dict[int, int] = field(default_factory=dict)
    held: dict[int, Counter[int]] = field(default_factory=dict)  # resource -> cell epoch -> units held


def resource_use(*, resources: Iterable[Resource], start: dt.datetime, end: dt.datetime) -> ResourceUse:
    """Held units of ``resources`` per cell from ``start`` to ``end``. One query."""
    use = ResourceUse(quantity={r.pk: r.quantity for r in resources})
    if not use.quantity:
        return use
    first = cells(start, start + CELL)[0]
    for resource_id, cell, count in (
        ResourceHold.objects.filter(resource_id__in=list(use.quantity), cell__gte=first, cell__lt=end)
        .values("resource_id", "cell")
        .annotate(count=Count("id"))
        .values_list("resource_id", "cell", "count")
    ):
        use.held.setdefault(resource_id, Counter())[int(cell.timestamp())] = count
    return use


def salon_resources(salon: Salon) -> list[Resource]:
    """The salon's active resources with the services that need each."""
    return list(Resource.objects.filter(salon=salon, is_active=True).prefetch_related("services").order_by("name"))


@dataclass(frozen=True)
class HeldSpan:
    """One unit of a resource held by one booking from ``start`` to ``end``."""

    unit: int
    start: dt.datetime
    end: dt.datetime
    booking_id: int


def resources_in_use(*, salon: Salon, begin: dt.datetime, end: dt.datetime) -> list[tuple[Resource, list[HeldSpan]]]:
    """Each active resource of the salon with what holds it between ``begin``
    and ``end``: back-to-back cells of one unit and one booking as one span,
    in time order. Two queries."""
    spans: dict[int, list[HeldSpan]] = defaultdict(list)
    for resource_id, unit, cell, booking_id in (
        ResourceHold.objects.filter(salon=salon, cell__gte=begin, cell__lt=end)
        .order_by("resource_id", "unit", "booking_id", "cell")
        .values_list("resource_id", "unit", "cell", "booking_id")
    ):
        own = spans[resource_id]
        last = own[-1] if own else None
        if last is not None and (last.unit, last.booking_id, last.end) == (unit, booking_id, cell):
            own[-1] = HeldSpan(unit, last.start, cell + CELL, booking_id)
        else:
            own.append(HeldSpan(unit, cell, cell + CELL, booking_id))
    resources = Resource.objects.filter(salon=salon, is_active=True).order_by("name")
    return [(r, sorted(spans.get(r.pk, []), key=lambda span: (span.start, span.unit))) for r in resources]
