"""Changes to a salon's resources. Each tells the caches after commit
(``salon_updated``): what a resource's quantity or its services are changes
which starts availability offers."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from resources.models import Resource
from salonbook.events import send_on_commit
from salons.models import Service
from salons.services import validated
from salons.signals import salon_updated


def resource_save(*, resource: Resource, services: Iterable[Service] | None = None) -> Resource:
    """Create or change ``resource``; ``services`` (when given) become the
    services that need it. Services of another salon are ignored. Raises
    ``InvalidInput`` (a name the salon already uses, a quantity out of range)."""
    with transaction.atomic():
        validated(resource)
        resource.save()
        if services is not None:
            resource.services.set([s for s in services if s.salon_id == resource.salon_id])
        send_on_commit(salon_updated, sender=Resource, salon_id=resource.salon_id)
    return resource


def resource_retire(*, resource: Resource) -> Resource:
    """Stop using ``resource``: services no longer wait for it. Its past holds stay."""
    resource.is_active = False
    return resource_save(resource=resource)


def service_needs_set(*, service: Service, resources: Iterable[Resource]) -> None:
    """``resources`` (of the service's salon) become the ones ``service`` needs."""
    wanted = {r.pk for r in resources if r.salon_id == service.salon_id}
    with transaction.atomic():
        Resource.services.through.objects.filter(service_id=service.pk).exclude(resource_id__in=wanted).delete()
        have = set(
            Resource.services.through.objects.filter(service_id=service.pk).values_list("resource_id", flat=True)
        )
        Resource.services.through.objects.bulk_create(
            [Resource.services.through(service_id=service.pk, resource_id=pk) for pk in sorted(wanted - have)]
        )
        send_on_commit(salon_updated, sender=Resource, salon_id=service.salon_id)
