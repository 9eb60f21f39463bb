"""What clients send to the bookings API, parsed and checked for shape.

Only the shape is checked here (types, lengths, that ids exist); whether a
start may be booked is the services' to decide.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bookings.booking_plans import MAX_EVERY_WEEKS, MAX_OCCURRENCES
from bookings.services import MAX_PARTS
from salonbook.dates import DaySerializerField, parse_aware_time
from salonbook.text import validate_person_name
from salons.models import Salon, Service, StaffMember

MAX_ID = 2**63 - 1


def _is_naive_time(data: Any) -> bool:
    try:
        parsed = parse_datetime(data) if isinstance(data, str) and len(data) <= 64 else None
    except ValueError:
        return False
    return parsed is not None and parsed.tzinfo is None


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field):
    """An ISO 8601 time that must carry its UTC offset: a naive time is ambiguous."""

    default_error_messages = {
        "invalid": "Give an ISO 8601 time, e.g. 2030-05-01T10:00:00+01:00.",
        "naive": "Give the time with its UTC offset, e.g. 2030-05-01T10:00:00+01:00.",
    }

    def to_internal_value(self, data: Any) -> dt.datetime:
        value = parse_aware_time(data) if isinstance(data, str) else None
        if value is None:
            self.fail("naive" if _is_naive_time(data) else "invalid")
        return value

    def to_representation(self, value: dt.datetime) -> str:
        return value.isoformat()


def _lookup(model: type[Model], message: str, **key: Any) -> Any:
    # get(), not filter().first(): first() orders by the model's ordering,
    # which for a salon's service or staff joins the salon to sort by its name.
    try:
        return model._default_manager.get(**key)
    except ObjectDoesNotExist:
        raise serializers.ValidationError(message) from None


class RepeatSerializer(serializers.Serializer):
    every_weeks = serializers.IntegerField(min_value=1, max_value=MAX_EVERY_WEEKS, help_text="Weeks between bookings")
    count = serializers.IntegerField(
        min_value=2, max_value=MAX_OCCURRENCES, help_text="Bookings in all, the first included"
    )


class PartSerializer(serializers.Serializer):
    """A service with a staff member, or anyone: one part of a booking."""

    service = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Service id")
    staff = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        default=None,
        help_text="Staff member id, as availability gave it; leave out (or null) for anyone free then",
    )

    def validate_service(self, pk: int) -> Service:
        return _lookup(Service, "No such service.", pk=pk)

    def validate_staff(self, pk: int | None) -> StaffMember | None:
        return None if pk is None else _lookup(StaffMember, "No such staff member.", pk=pk)


class BookingCreateSerializer(PartSerializer):
    salon = serializers.SlugField(max_length=60, help_text="The salon's slug")
    service = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Service id (or `services` for a visit)"
    )
    services = serializers.ListField(
        child=PartSerializer(),
        required=False,
        min_length=1,
        max_length=MAX_PARTS,
        help_text="A visit: its services in order, each with its staff member or null for anyone "
        "(instead of `service` and `staff`)",
    )
    start = AwareDateTimeField(help_text="A start that availability offered, with its offset")
    customer_name = serializers.CharField(max_length=120, validators=[validate_person_name])
    customer_phone = serializers.CharField(max_length=32, help_text="E.164, or national in the salon's country")
    customer_email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    repeat = RepeatSerializer(
        required=False,
        allow_null=True,
        default=None,
        help_text=(
            "A standing appointment (salon staff, or customers where the salon's "
            "`booking_rules.customers_book_series` allows it): the same time every N weeks, K times in all"
        ),
    )

    # A field the booking page hides from people: only a form-filling robot
    # puts anything in it.
    website = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", write_only=True, help_text="Leave empty"
    )

    def validate_salon(self, slug: str) -> Salon:
        return _lookup(Salon, "No salon with that name.", slug=slug)

    def validate_website(self, value: str) -> str:
        if value.strip():
            raise serializers.ValidationError("This field must be left empty.")
        return value

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        """``service`` (with ``staff``) or ``services``, one of the two; the
        first part becomes ``service`` and ``staff``, the rest ``then``."""
        parts = data.pop("services", None)
        if parts is None and "service" not in data:
            raise serializers.ValidationError({"service": ["Give `service`, or `services` for a visit."]})
        if parts is not None:
            if "service" in data:
                raise serializers.ValidationError({"services": ["Give `service` or `services`, not both."]})
            data["service"], data["staff"] = parts[0]["service"], parts[0]["staff"]
        data["then"] = [(part["service"], part["staff"]) for part in (parts or [])[1:]]
        return data


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RescheduleSerializer(serializers.Serializer):
    start = AwareDateTimeField(help_text="A start that availability offered, with its offset")
    staff = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Move to this staff member (default: the same)"
    )

    def validate_staff(self, pk: int) -> StaffMember:
        return _lookup(StaffMember, "No such staff member.", pk=pk)


class AgendaQuerySerializer(serializers.Serializer):
    date = DaySerializerField(help_text="Salon-local day, YYYY-MM-DD")
    staff = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)


def valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """The validated fields of ``data``; a 400 with the field errors otherwise."""
    serializer = serializer_class(data=data if data is not None else {})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
