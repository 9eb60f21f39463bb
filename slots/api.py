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
from salonbook.text import record_id
from salons.cache import business_info, business_info_entry
from salons.models import Service
from salons.permissions import IsStaffOrAdmin
from salons.selectors import DOES_NOT_DO, NO_SUCH_SALON, NOT_OFFERED, NOT_WORKING_HERE, user_can_manage_salon
from slots.availability import availability_for_day
from slots.cache import availability_entry, cached_availability
from slots.models import Slot
from slots.services import slot_block, slot_unblock
from slots.visits import PartAsk, PlannedVisit, free_visits

MAX_ID = 2**63 - 1
# Dates beyond this from today are refused, not searched: no salon books that far.


def local_iso(value: dt.datetime, tz) -> str:
    """An instant as ISO 8601 in the salon's zone, with its offset."""
    return timezone.localtime(value, tz).isoformat()


# --- Availability ------------------------------------------------------------------------


MAX_PARTS = 5


@extend_schema_field(OpenApiTypes.STR)
class _IdListField(serializers.Field):
    """Comma-separated ids; ``any`` too where ``anyone`` is True (as None)."""

    def __init__(self, *, anyone: bool = False, **kwargs: Any) -> None:
        self.anyone = anyone
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[int | None]:
        if not isinstance(data, str) or len(data) > 200:
            raise serializers.ValidationError("Give ids separated by commas.")
        items = [item.strip() for item in data.split(",")]
        if not 1 <= len(items) <= MAX_PARTS:
            raise serializers.ValidationError(f"Give 1 to {MAX_PARTS} ids, separated by commas.")
        values: list[int | None] = []
        for item in items:
            if self.anyone and item == "any":
                values.append(None)
            elif (pk := record_id(item)) is not None and pk >= 1:
                values.append(pk)
            else:
                ending = ', or "any".' if self.anyone else "."
                raise serializers.ValidationError("Give ids separated by commas" + ending)
        return values


class ServicesQuerySerializer(serializers.Serializer):
    """``service`` (and ``staff``), or ``services`` for a visit with ``staff``
    one per service (``any`` for anyone): what availability and the month
    calendar are asked for."""

    service = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, help_text="Service id")
    services = _IdListField(
        required=False, help_text="A visit: its service ids in order, separated by commas (instead of `service`)"
    )
    staff = serializers.CharField(
        required=False,
        max_length=200,
        help_text="Only this staff member's times; with `services`, one per service, `any` for anyone",
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        visit = data.get("services")
        if (visit is None) == ("service" not in data):
            raise serializers.ValidationError({"service": ["Give `service`, or `services` for a visit."]})
        staff = data.get("staff")
        if visit is None:
            if staff is not None and ((pk := record_id(staff)) is None or pk < 1):
                raise serializers.ValidationError({"staff": ["A valid integer is required."]})
            data["staff"] = None if staff is None else record_id(staff)
            return data
        chosen = _IdListField(anyone=True).run_validation(staff) if staff is not None else [None] * len(visit)
        if len(chosen) != len(visit):
            raise serializers.ValidationError({"staff": ["Give one staff id or `any` per service."]})
        data["staff"] = chosen
        return data


class AvailabilityQuerySerializer(ServicesQuerySerializer):
    date = DaySerializerField(help_text="Salon-local day, YYYY-MM-DD")


class FreeStartSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="ISO 8601 with the salon's offset")
    end = serializers.DateTimeField(help_text="End of the service itself")
    staff = serializers.IntegerField(help_text="Staff member id")


class AvailabilitySerializer(serializers.Serializer):
    date = serializers.DateField()
    timezone = serializers.CharField()
    service = serializers.IntegerField(required=False)
    staff = serializers.IntegerField(allow_null=True, required=False)
    services = serializers.ListField(child=serializers.IntegerField(), required=False, help_text="With `services=`")
    slots = FreeStartSerializer(many=True, help_text="With `service=`; with `services=` each has `parts` instead")


def free_visits_asked(
    *, salon_id: int, first_day: dt.date, days: int, service_ids: list[int], staff_ids: list[int | None]
) -> dict[dt.date, list[PlannedVisit]]:
    """The free visits of ``days`` days for a query's ``services`` and ``staff``."""
    services = Service.objects.select_related("salon").in_bulk(service_ids)
    return free_visits(
        salon=services[service_ids[0]].salon,
        first_day=first_day,
        days=days,
        asks=[PartAsk(services[sid], staff_id) for sid, staff_id in zip(service_ids, staff_ids, strict=True)],
        now=timezone.now(),
    )


def check_visit_against_info(info: dict[str, Any], query: dict[str, Any]) -> None:
    for service_id, staff_id in zip(query["services"], query["staff"], strict=True):
        check_against_info(info, service_id=service_id, staff_id=staff_id)


def _build_free_visits(
    *, salon_id: int, day: dt.date, service_ids: list[int], staff_ids: list[int | None]
) -> list[dict]:
    visits = free_visits_asked(
        salon_id=salon_id, first_day=day, days=1, service_ids=service_ids, staff_ids=staff_ids
    ).get(day, [])
    return [
        {
            "start": visit.start.isoformat(),
            "end": visit.end.isoformat(),
            "parts": [
                {
                    "service": part.service.pk,
                    "staff": part.staff_member_id,
                    "start": part.start.isoformat(),
                    "end": part.end.isoformat(),
                }
                for part in visit.parts
            ],
        }
        for visit in visits
    ]


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
        if valid and query.validated_data.get("services") is not None:
            return self._visit(request, slug, query.validated_data)
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

    def _visit(self, request, slug: str, query: dict[str, Any]) -> Response:
        """A visit's free starts: read each time (the single-service answer is the cached one)."""
        info = business_info(slug, found=self.count_and_read(request, [business_info_entry(slug=slug)]))
        if info is None:
            raise NotFound(NO_SUCH_SALON)
        check_visit_against_info(info, query)
        slots = _build_free_visits(
            salon_id=info["id"], day=query["date"], service_ids=query["services"], staff_ids=query["staff"]
        )
        return Response(
            {
                "date": query["date"].isoformat(),
                "timezone": info["timezone"],
                "services": query["services"],
                "slots": slots,
            }
        )


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
