"""Salons, their services and staff: anonymous reads, served from the business-info cache."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from salonbook.api.base import ApiView
from salonbook.api.cached_reads import CachedReadView, json_answer, rendered
from salonbook.api.pagination import Pagination, paginate
from salonbook.api.schema import errors
from salons.cache import business_info, business_info_entry, cached_business_info
from salons.models import Salon
from salons.selectors import NO_SUCH_SALON

# --- Output shapes (also the schema) ----------------------------------------------------


class ServiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    buffer_minutes = serializers.IntegerField(help_text="Clean-up time after the service; the staff member stays busy")
    processing_after_minutes = serializers.IntegerField(help_text="Minutes of work before the processing phase")
    processing_minutes = serializers.IntegerField(
        help_text="A middle phase in which the staff member is free and the customer stays (0: none)"
    )
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
    minimum_notice_minutes = serializers.IntegerField(help_text="Online bookings start at least this long from now")
    customers_book_series = serializers.BooleanField(
        help_text="Customers may book a standing appointment (POST /api/bookings/ with `repeat`); "
        "otherwise only the salon's staff do"
    )


class SalonSummarySerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    timezone = serializers.CharField(help_text="IANA time zone; every time of this salon is given in it")
    address = serializers.CharField()


class SalonSerializer(SalonSummarySerializer):
    id = serializers.IntegerField()
    whatsapp_phone = serializers.CharField(help_text="E.164")
    locale = serializers.CharField(help_text="BCP 47 locale for the salon's dates and times, e.g. en-GB")
    booking_rules = BookingRulesSerializer()
    services = ServiceSerializer(many=True)
    staff = StaffSerializer(many=True)


# --- Views -------------------------------------------------------------------------------


_SALON_EXAMPLE = {
    "id": 1,
    "slug": "demo",
    "name": "Demo Salon",
    "timezone": "Europe/London",
    "address": "1 High Street, London",
    "whatsapp_phone": "+447911123000",
    "locale": "en-GB",
    "booking_rules": {"slot_minutes": 15, "booking_window_days": 60, "cancellation_cutoff_hours": 24, "auto_confirm": True,
                      "minimum_notice_minutes": 60, "customers_book_series": False},
    "services": [{"id": 3, "name": "Cut", "duration_minutes": 30, "buffer_minutes": 0, "processing_after_minutes": 0,
                  "processing_minutes": 0, "price": "30.00"}],
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


class SalonDetailView(CachedReadView):
    @extend_schema(
        operation_id="salons_retrieve",
        summary="A salon's business info: rules, services and staff",
        tags=["salons"],
        responses={200: SalonSerializer, **errors(404)},
        examples=[OpenApiExample("Demo salon", value=_SALON_EXAMPLE, response_only=True)],
    )
    def get(self, request, slug: str):
        # The answer is kept rendered beside the data it is rendered from.
        found = self.count_and_read(request, [business_info_entry(slug=slug, part="rendered")])
        body = cached_business_info(
            slug=slug, part="rendered", found=found, build=rendered(lambda: business_info(slug))
        )
        if body is None:
            raise NotFound(NO_SUCH_SALON)
        return json_answer(body)


class _BusinessInfoListView(CachedReadView):
    """One list from a salon's cached business info, paginated."""

    pagination_class = Pagination
    listed: str  # "services" or "staff"

    def get(self, request, slug: str):
        info = business_info(slug, found=self.count_and_read(request, [business_info_entry(slug=slug)]))
        if info is None:
            raise NotFound(NO_SUCH_SALON)
        return paginate(self, request, info[self.listed], list)


class SalonServicesView(_BusinessInfoListView):
    listed = "services"

    @extend_schema(
        operation_id="salons_services_list",
        summary="The services a salon offers",
        tags=["salons"],
        responses={200: ServiceSerializer(many=True), **errors(404)},
    )
    def get(self, request, slug: str):
        return super().get(request, slug)


class SalonStaffView(_BusinessInfoListView):
    listed = "staff"

    @extend_schema(
        operation_id="salons_staff_list",
        summary="A salon's staff and the services each one does",
        tags=["salons"],
        responses={200: StaffSerializer(many=True), **errors(404)},
    )
    def get(self, request, slug: str):
        return super().get(request, slug)
