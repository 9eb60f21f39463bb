"""Free start times (anonymous, cached) and staff blocking of slots."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from salonbook.api.base import ApiView
from salonbook.api.cached_reads import CachedReadView, json_answer, render_json
from salonbook.api.schema import errors
from salonbook.dates import DaySerializerField
from salons.cache import business_info, business_info_entry
from salons.models import Service
from salons.permissions import IsStaffOrAdmin
from salons.selectors import DOES_NOT_DO, NO_SUCH_SALON, NOT_OFFERED, NOT_WORKING_HERE, user_can_manage_salon
from slots.cache import availability_entry, cached_availability
from slots.models import Slot
from slots.selectors import availability_for_day
from slots.services import slot_block, slot_unblock

MAX_ID = 2**63 - 1
# Dates beyond this from today are refused, not searched: no salon books that far.


def local_iso(value: dt.datetime, tz) -> str:
    """An instant as ISO 8601 in the salon's zone, with its offset."""
    return timezone.localtime(value, tz).isoformat()


# --- Availability ------------------------------------------------------------------------


class AvailabilityQuerySerializer(serializers.Serializer):
    date = DaySerializerField(help_text="Salon-local day, YYYY-MM-DD")
    service = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Service id")
    staff = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Only this staff member's times"
    )


class FreeStartSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="ISO 8601 with the salon's offset")
    end = serializers.DateTimeField(help_text="End of the service itself")
    staff = serializers.IntegerField(help_text="Staff member id")


class AvailabilitySerializer(serializers.Serializer):
    date = serializers.DateField()
    timezone = serializers.CharField()
    service = serializers.IntegerField()
    staff = serializers.IntegerField(allow_null=True)
    slots = FreeStartSerializer(many=True)


def _build_free_starts(*, salon_id: int, service_id: int, day: dt.date, staff_member_id: int | None) -> list[dict]:
    service = Service.objects.select_related("salon").get(pk=service_id, salon_id=salon_id)
    return [
        {"start": free.start.isoformat(), "end": free.end.isoformat(), "staff": free.staff_member_id}
        for free in availability_for_day(salon=service.salon, day=day, service=service, staff_member_id=staff_member_id)
    ]


def check_against_info(info: dict[str, Any], *, service_id: int, staff_id: int | None) -> None:
    if not any(s["id"] == service_id for s in info["services"]):
        raise ValidationError({"service": [NOT_OFFERED]})
    if staff_id is not None:
        member = next((m for m in info["staff"] if m["id"] == staff_id), None)
        if member is None:
            raise ValidationError({"staff": [NOT_WORKING_HERE]})
        if service_id not in member["services"]:
            raise ValidationError({"staff": [DOES_NOT_DO]})


class AvailabilityView(CachedReadView):
    @extend_schema(
        operation_id="salons_availability",
        summary="Free start times for a service on one day",
        description=(
            "Every start listed can be booked right now with POST /api/bookings/ (same staff id and start); "
            "a start not listed is refused. Times are in the salon's time zone, with offset."
        ),
        tags=["availability"],
        parameters=[AvailabilityQuerySerializer],
        responses={200: AvailabilitySerializer, **errors(400, 404)},
        examples=[
            OpenApiExample(
                "Two free starts",
                response_only=True,
                value={
                    "date": "2030-05-01",
                    "timezone": "Europe/London",
                    "service": 3,
                    "staff": None,
                    "slots": [
                        {"start": "2030-05-01T09:00:00+01:00", "end": "2030-05-01T09:30:00+01:00", "staff": 7},
                        {"start": "2030-05-01T09:15:00+01:00", "end": "2030-05-01T09:45:00+01:00", "staff": 7},
                    ],
                },
            )
        ],
    )
    def get(self, request, slug: str):
        query = AvailabilityQuerySerializer(data=request.query_params)
        valid = query.is_valid()
        day, service_id, staff_id = (query.validated_data.get(name) for name in ("date", "service", "staff"))
        # The business info and (for a valid query) the day's free starts, read
        # with the rate-limit count: one round trip.
        wanted = [business_info_entry(slug=slug)]
        if valid:
            wanted.append(availability_entry(slug=slug, day=day, service_id=service_id, staff_member_id=staff_id))
        found = self.count_and_read(request, wanted)

        info = business_info(slug, found=found)
        if info is None:  # an unknown salon is a 404 before a bad query is a 400
            raise NotFound(NO_SUCH_SALON)
        if not valid:
            raise ValidationError(query.errors)
        check_against_info(info, service_id=service_id, staff_id=staff_id)
        body = cached_availability(
            slug=slug,
            day=day,
            service_id=service_id,
            staff_member_id=staff_id,
            found=found,
            notice_minutes=info["booking_rules"].get("minimum_notice_minutes", 0),
            build=lambda: render_json(
                {
                    "date": day.isoformat(),
                    "timezone": info["timezone"],
                    "service": service_id,
                    "staff": staff_id,
                    "slots": _build_free_starts(
                        salon_id=info["id"], service_id=service_id, day=day, staff_member_id=staff_id
                    ),
                }
            ),
        )
        return json_answer(body)


# --- Blocking ------------------------------------------------------------------------------


class SlotBlockSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class SlotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    staff = serializers.IntegerField(source="staff_member_id")
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=Slot.Status.choices)
    block_reason = serializers.CharField()

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_start(self, slot: Slot) -> str:
        return local_iso(slot.start, slot.salon.tz)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_end(self, slot: Slot) -> str:
        return local_iso(slot.end, slot.salon.tz)


def _slot_for_staff(request, pk: int) -> Slot:
    """The slot, if the user works at its salon; otherwise 404, as if it did not exist."""
    slot = get_object_or_404(Slot.objects.select_related("salon"), pk=pk)
    if not user_can_manage_salon(request.user, slot.salon_id):
        raise Http404
    return slot


class _SlotMoveView(ApiView):
    permission_classes = [IsStaffOrAdmin]
    with_body = False

    def move(self, slot: Slot, data: dict) -> Slot:
        raise NotImplementedError

    def post(self, request, pk: int):
        slot = _slot_for_staff(request, pk)
        data: dict = {}
        if self.with_body:
            body = SlotBlockSerializer(data=request.data if request.data else {})
            body.is_valid(raise_exception=True)
            data = body.validated_data
        return Response(SlotSerializer(self.move(slot, data)).data)


_SLOT_EXAMPLE = {
    "id": 42,
    "staff": 7,
    "start": "2030-05-01T13:00:00+01:00",
    "end": "2030-05-01T13:15:00+01:00",
    "status": "blocked",
    "block_reason": "Lunch",
}


class SlotBlockView(_SlotMoveView):
    with_body = True

    @extend_schema(
        operation_id="slots_block",
        summary="Block a free slot (staff)",
        description="Blocking a blocked slot changes nothing. A booked slot answers 409.",
        tags=["staff"],
        request=SlotBlockSerializer,
        responses={200: SlotSerializer, **errors(400, 401, 403, 404, 409)},
        examples=[
            OpenApiExample("Lunch", value={"reason": "Lunch"}, request_only=True),
            OpenApiExample("Blocked", value=_SLOT_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def move(self, slot: Slot, data: dict) -> Slot:
        return slot_block(slot=slot, reason=data.get("reason", ""))


class SlotUnblockView(_SlotMoveView):
    @extend_schema(
        operation_id="slots_unblock",
        summary="Make a blocked slot bookable again (staff)",
        tags=["staff"],
        request=None,
        responses={200: SlotSerializer, **errors(401, 403, 404, 409)},
        examples=[
            OpenApiExample(
                "Free again", value={**_SLOT_EXAMPLE, "status": "available", "block_reason": ""}, response_only=True
            )
        ],
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def move(self, slot: Slot, data: dict) -> Slot:
        return slot_unblock(slot=slot)
