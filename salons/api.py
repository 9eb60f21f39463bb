"""Salons, their services and staff: anonymous reads, served from the business-info cache."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from salonbook.api.base import ApiView, render_json, rendered_json_response
from salonbook.api.pagination import Pagination, paginate
from salonbook.api.schema import errors
from salons.cache import business_info_entry, cached_business_info
from salons.models import Salon, Service

# --- Output shapes (also the schema) ----------------------------------------------------


class ServiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    buffer_minutes = serializers.IntegerField(help_text="Clean-up time after the service; the staff member stays busy")
    price = serializers.CharField(help_text="Decimal, in the salon's currency")


class StaffSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    services = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the services they do")


class BookingRulesSerializer(serializers.Serializer):
    slot_minutes = serializers.IntegerField()
    booking_window_days = serializers.IntegerField(help_text="How far ahead bookings open")
    cancellation_cutoff_hours = serializers.IntegerField(help_text="Online cancellation closes this long before")
    auto_confirm = serializers.BooleanField()


class SalonSummarySerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    timezone = serializers.CharField(help_text="IANA time zone; every time of this salon is given in it")
    address = serializers.CharField()


class SalonSerializer(SalonSummarySerializer):
    id = serializers.IntegerField()
    whatsapp_phone = serializers.CharField(help_text="E.164")
    booking_rules = BookingRulesSerializer()
    services = ServiceSerializer(many=True)
    staff = StaffSerializer(many=True)


# --- Business info, JSON-ready for the cache ------------------------------------------------


def _service_data(service: Service) -> dict[str, Any]:
    return {
        "id": service.pk,
        "name": service.name,
        "duration_minutes": service.duration_minutes,
        "buffer_minutes": service.buffer_minutes,
        "price": str(service.price),
    }


def _build_business_info(slug: str) -> dict[str, Any] | None:
    """The salon, its active services and staff as plain data: four queries."""
    salon = Salon.objects.filter(slug=slug).first()
    if salon is None:
        return None
    services = list(salon.services.filter(is_active=True).order_by("name", "id"))
    active_ids = {s.pk for s in services}
    staff = salon.staff.filter(is_active=True).order_by("name", "id").prefetch_related(
        Prefetch("services", queryset=Service.objects.only("id"))
    )
    return {
        "id": salon.pk,
        "slug": salon.slug,
        "name": salon.name,
        "timezone": salon.timezone,
        "address": salon.address,
        "whatsapp_phone": salon.whatsapp_phone,
        "booking_rules": {
            "slot_minutes": salon.slot_minutes,
            "booking_window_days": salon.booking_window_days,
            "cancellation_cutoff_hours": salon.cancellation_cutoff_hours,
            "auto_confirm": salon.auto_confirm,
        },
        "services": [_service_data(s) for s in services],
        "staff": [
            {"id": m.pk, "name": m.name, "services": sorted(s.pk for s in m.services.all() if s.pk in active_ids)}
            for m in staff
        ],
    }


def business_info_cache_entry(slug: str) -> tuple[str, list[str]]:
    """The cache entry ``business_info(slug)`` reads, for ``salonbook.cache.prefetch``."""
    return business_info_entry(slug=slug, part="info")


NO_SUCH_SALON = "No salon with that name."


def _cached_info_or_none(slug: str) -> dict[str, Any] | None:
    return cached_business_info(slug=slug, part="info", build=lambda: _build_business_info(slug))


def business_info(slug: str) -> dict[str, Any]:
    """A salon's business info, from the cache; 404 when no salon has ``slug``."""
    info = _cached_info_or_none(slug)
    if info is None:
        raise NotFound(NO_SUCH_SALON)
    return info


def business_info_rendered_cache_entry(slug: str) -> tuple[str, list[str]]:
    """The cache entry ``business_info_rendered(slug)`` reads."""
    return business_info_entry(slug=slug, part="rendered")


def business_info_rendered(slug: str) -> bytes:
    """The salon's detail answer as JSON bytes, kept rendered in the cache
    beside the data; 404 when no salon has ``slug``."""

    def build() -> bytes | None:
        info = _cached_info_or_none(slug)
        return None if info is None else render_json(info)

    body = cached_business_info(slug=slug, part="rendered", build=build)
    if body is None:
        raise NotFound(NO_SUCH_SALON)
    return body


# --- Views -------------------------------------------------------------------------------


_SALON_EXAMPLE = {
    "id": 1,
    "slug": "demo",
    "name": "Demo Salon",
    "timezone": "Europe/London",
    "address": "1 High Street, London",
    "whatsapp_phone": "+447911123000",
    "booking_rules": {"slot_minutes": 15, "booking_window_days": 60, "cancellation_cutoff_hours": 24, "auto_confirm": True},
    "services": [{"id": 3, "name": "Cut", "duration_minutes": 30, "buffer_minutes": 0, "price": "30.00"}],
    "staff": [{"id": 7, "name": "Maria", "services": [3]}],
}


class SalonListView(ApiView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="salons_list",
        summary="List salons",
        tags=["salons"],
        responses={200: SalonSummarySerializer(many=True), **errors(404)},
    )
    def get(self, request):
        salons = Salon.objects.only("slug", "name", "timezone", "address").order_by("name", "id")
        return paginate(self, request, salons, lambda page: SalonSummarySerializer(page, many=True).data)


class SalonDetailView(ApiView):
    def cache_entries(self, request, slug: str) -> list[tuple[str, list[str]]]:
        return [business_info_rendered_cache_entry(slug)]

    @extend_schema(
        operation_id="salons_retrieve",
        summary="A salon's business info: rules, services and staff",
        tags=["salons"],
        responses={200: SalonSerializer, **errors(404)},
        examples=[OpenApiExample("Demo salon", value=_SALON_EXAMPLE, response_only=True)],
    )
    def get(self, request, slug: str):
        return rendered_json_response(business_info_rendered(slug))


class SalonServicesView(ApiView):
    pagination_class = Pagination

    def cache_entries(self, request, slug: str) -> list[tuple[str, list[str]]]:
        return [business_info_cache_entry(slug)]

    @extend_schema(
        operation_id="salons_services_list",
        summary="The services a salon offers",
        tags=["salons"],
        responses={200: ServiceSerializer(many=True), **errors(404)},
    )
    def get(self, request, slug: str):
        return paginate(self, request, business_info(slug)["services"], list)


class SalonStaffView(ApiView):
    pagination_class = Pagination

    def cache_entries(self, request, slug: str) -> list[tuple[str, list[str]]]:
        return [business_info_cache_entry(slug)]

    @extend_schema(
        operation_id="salons_staff_list",
        summary="A salon's staff and the services each one does",
        tags=["salons"],
        responses={200: StaffSerializer(many=True), **errors(404)},
    )
    def get(self, request, slug: str):
        return paginate(self, request, business_info(slug)["staff"], list)
