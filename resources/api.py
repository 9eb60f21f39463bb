"""``GET /api/salons/{slug}/resources/``: a salon's resources and the services that need each."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from resources.selectors import salon_resources
from salonbook.api.base import ApiView
from salonbook.api.schema import errors
from salons.models import Salon
from salons.selectors import NO_SUCH_SALON


class ResourceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    quantity = serializers.IntegerField(help_text="How many of it the salon has")
    services = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of the services that need one for their whole time"
    )


class SalonResourcesView(ApiView):
    @extend_schema(
        operation_id="salons_resources_list",
        summary="A salon's resources (chairs, basins, stations) and the services that need them",
        tags=["salons"],
        responses={200: ResourceSerializer(many=True), **errors(404)},
    )
    def get(self, request, slug: str):
        salon = Salon.objects.filter(slug=slug).first()
        if salon is None:
            raise NotFound(NO_SUCH_SALON)
        data = [
            {"id": r.pk, "name": r.name, "quantity": r.quantity, "services": sorted(s.pk for s in r.services.all())}
            for r in salon_resources(salon)
        ]
        return Response(ResourceSerializer(data, many=True).data)
