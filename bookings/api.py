"""Bookings over the API: customers book and manage with their token, staff
run their own salon's bookings.

Access to one booking: staff of its salon and admins by login (token or
session); a customer by the ``X-Booking-Token`` header holding its manage
token. Anyone else, a wrong token and an unknown reference alike, gets 404,
so references cannot be probed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from bookings.idempotency import Outcome, idempotent, request_fingerprint
from bookings.models import Booking
from bookings.selectors import booking_for_customer, bookings_for_day
from bookings.services import (
    Actor,
    allowed_moves,
    booking_cancel,
    booking_complete,
    booking_confirm,
    booking_create,
    booking_mark_no_show,
    booking_reschedule,
)
from bookings.reminders.links import click_to_chat_url
from salonbook.api.base import ApiView
from salonbook.api.exceptions import envelope
from salonbook.api.pagination import Pagination, paginate
from salonbook.api.permissions import IsStaffOrAdmin
from salons.selectors import user_can_manage_salon
from salonbook.api.schema import BOOKING_TOKEN_HEADER, errors
from salonbook.errors import SlotUnavailable
from salons.models import Salon, Service, StaffMember

MAX_ID = 2**63 - 1
IDEMPOTENCY_SCOPE = "bookings.create"


# --- Input ----------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field):
    """An ISO 8601 time that must carry its UTC offset: a naive time is ambiguous."""

    default_error_messages = {
        "invalid": "Give an ISO 8601 time, e.g. 2030-05-01T10:00:00+01:00.",
        "naive": "Give the time with its UTC offset, e.g. 2030-05-01T10:00:00+01:00.",
    }

    def to_internal_value(self, data: Any) -> dt.datetime:
        try:
            value = parse_datetime(data) if isinstance(data, str) and len(data) <= 64 else None
        except ValueError:
            value = None
        if value is None:
            self.fail("invalid")
        if value.tzinfo is None:
            self.fail("naive")
        try:
            return value.astimezone(dt.UTC)
        except OverflowError:
            self.fail("invalid")

    def to_representation(self, value: dt.datetime) -> str:
        return value.isoformat()


def _lookup(model, pk: int, message: str, **filters):
    found = model.objects.filter(pk=pk, **filters).first()
    if found is None:
        raise serializers.ValidationError(message)
    return found


class BookingCreateSerializer(serializers.Serializer):
    salon = serializers.SlugField(max_length=60, help_text="The salon's slug")
    service = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Service id")
    staff = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Staff member id, as availability gave it")
    start = AwareDateTimeField(help_text="A start that availability offered, with its offset")
    customer_name = serializers.CharField(max_length=120)
    customer_phone = serializers.CharField(max_length=32, help_text="E.164, or national in the salon's country")
    customer_email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")

    def validate_salon(self, slug: str) -> Salon:
        salon = Salon.objects.filter(slug=slug).first()
        if salon is None:
            raise serializers.ValidationError("No salon with that name.")
        return salon

    def validate_service(self, pk: int) -> Service:
        return _lookup(Service, pk, "No such service.")

    def validate_staff(self, pk: int) -> StaffMember:
        return _lookup(StaffMember, pk, "No such staff member.")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RescheduleSerializer(serializers.Serializer):
    start = AwareDateTimeField(help_text="A start that availability offered, with its offset")
    staff = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Move to this staff member (default: the same)"
    )


class AgendaQuerySerializer(serializers.Serializer):
    date = serializers.DateField(help_text="Salon-local day, YYYY-MM-DD")
    staff = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)

    def validate_date(self, value: dt.date) -> dt.date:
        if not dt.date(1970, 1, 2) <= value <= dt.date(9999, 12, 30):
            raise serializers.ValidationError("Choose a real day.")
        return value


def _valid(serializer_class, data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data if data is not None else {})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- Output ---------------------------------------------------------------------------


class _LocalTimeField(serializers.DateTimeField):
    """A UTC instant in the salon's zone, with its offset (context ``tz``)."""

    def to_representation(self, value: dt.datetime) -> str:
        return value.astimezone(self.context["tz"]).isoformat()


class _NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class BookingSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="Public booking reference")
    status = serializers.ChoiceField(choices=Booking.Status.choices)
    salon = serializers.CharField(source="salon.slug", help_text="The salon's slug")
    service = _NamedSerializer()
    staff = _NamedSerializer(source="staff_member")
    start = _LocalTimeField(help_text="ISO 8601 in the salon's zone, with offset")
    end = _LocalTimeField(help_text="End of the service itself")
    customer_name = serializers.CharField()
    customer_phone = serializers.CharField(help_text="E.164")
    customer_email = serializers.CharField()
    allowed_moves = serializers.SerializerMethodField(help_text="Status changes open to this booking now")

    def get_allowed_moves(self, booking: Booking) -> list[str]:
        return allowed_moves(booking)


class CreatedBookingSerializer(BookingSerializer):
    manage_token = serializers.CharField(help_text="Keep it: send it as X-Booking-Token to read, cancel or move")


class StaffBookingSerializer(BookingSerializer):
    whatsapp_url = serializers.SerializerMethodField(help_text="wa.me click-to-chat link with the reminder text")

    def get_whatsapp_url(self, booking: Booking) -> str:
        return click_to_chat_url(booking)


class AgendaBookingSerializer(BookingSerializer):
    salon = None


def _render(booking: Booking, *, staff: bool, created: bool = False) -> dict[str, Any]:
    serializer_class = CreatedBookingSerializer if created else StaffBookingSerializer if staff else BookingSerializer
    return serializer_class(booking, context={"tz": booking.salon.tz}).data


_BOOKING_EXAMPLE = {
    "reference": "k5q3zj7m2x4c6v8b9n1p3r5t7w",
    "status": "confirmed",
    "salon": "demo",
    "service": {"id": 3, "name": "Cut"},
    "staff": {"id": 7, "name": "Maria"},
    "start": "2030-05-01T10:00:00+01:00",
    "end": "2030-05-01T10:30:00+01:00",
    "customer_name": "Ana Silva",
    "customer_phone": "+447911123456",
    "customer_email": "",
    "allowed_moves": ["cancel"],
}


# --- Access ---------------------------------------------------------------------------


def _booking_for(request, reference: str) -> tuple[Booking, Actor]:
    """The booking and who acts on it: its salon's staff, or the customer holding its token."""
    user = request.user
    if user is not None and user.is_authenticated:
        booking = Booking.objects.select_related("salon", "service", "staff_member").filter(reference=reference).first()
        if booking is not None and user_can_manage_salon(request.user, booking.salon_id):
            return booking, Actor.staff(user)
        if booking is not None and booking.token_matches(request.headers.get("X-Booking-Token")):
            return booking, Actor.customer()
        raise Http404
    booking = booking_for_customer(reference=reference, token=request.headers.get("X-Booking-Token"))
    if booking is None:
        raise Http404
    return booking, Actor.customer()


def _staff_booking_for(request, reference: str) -> Booking:
    booking, actor = _booking_for(request, reference)
    if actor.is_customer:
        raise Http404
    return booking


# --- Views ----------------------------------------------------------------------------


class BookingCreateView(ApiView):
    # Counted with the API-wide limit in one round trip to the counter store.
    rate_limit_scopes_by_method = {"POST": ("bookings",)}

    @extend_schema(
        operation_id="bookings_create",
        summary="Book a start that availability offered",
        description=(
            "Send an `Idempotency-Key` header (a UUID) to retry safely: the same key and body return the "
            "first answer (with header `Idempotent-Replayed: true`) and book nothing more; the same key "
            "with another body answers 422. Keys are kept 24 hours. Limited to RATE_LIMIT_BOOKINGS a client."
        ),
        tags=["bookings"],
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="A unique value per booking attempt, e.g. a UUID; reuse it only to retry.",
            )
        ],
        request=BookingCreateSerializer,
        responses={201: CreatedBookingSerializer, **errors(400, 409, 422)},
        examples=[
            OpenApiExample(
                "Book a cut",
                request_only=True,
                value={
                    "salon": "demo",
                    "service": 3,
                    "staff": 7,
                    "start": "2030-05-01T10:00:00+01:00",
                    "customer_name": "Ana Silva",
                    "customer_phone": "+447911123456",
                    "customer_email": "ana@example.com",
                },
            ),
            OpenApiExample(
                "Booked",
                response_only=True,
                status_codes=["201"],
                value={**_BOOKING_EXAMPLE, "manage_token": "oC2k...secret...9Q"},
            ),
        ],
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return self._respond(self._book(request.data))
        outcome = idempotent(
            key=key,
            scope=IDEMPOTENCY_SCOPE,
            fingerprint=request_fingerprint(request.data),
            run=lambda: self._book(request.data),
        )
        return self._respond(outcome)

    def _book(self, data: Any) -> Outcome:
        fields = _valid(BookingCreateSerializer, data)
        try:
            booking = booking_create(
                salon=fields["salon"],
                service=fields["service"],
                staff_member=fields["staff"],
                start=fields["start"],
                customer_name=fields["customer_name"],
                customer_phone=fields["customer_phone"],
                customer_email=fields["customer_email"],
                actor=Actor.customer(),
            )
        except SlotUnavailable as error:
            # Stored like a success: a retry of a request that lost the race
            # learns the same, and books nothing.
            return Outcome(status=error.status, body=envelope(error.code, error.message, error.details))
        return Outcome(status=201, body=_render(booking, staff=False, created=True))

    @staticmethod
    def _respond(outcome: Outcome) -> Response:
        response = Response(outcome.body, status=outcome.status)
        if outcome.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class BookingDetailView(ApiView):
    @extend_schema(
        operation_id="bookings_retrieve",
        summary="A booking: customers with X-Booking-Token, staff of its salon by login",
        tags=["bookings"],
        parameters=[BOOKING_TOKEN_HEADER],
        responses={200: StaffBookingSerializer, **errors(404)},
        examples=[
            OpenApiExample("For the customer", response_only=True, value=_BOOKING_EXAMPLE),
            OpenApiExample(
                "For staff",
                response_only=True,
                value={**_BOOKING_EXAMPLE, "whatsapp_url": "https://wa.me/447911123456?text=Hello%20Ana"},
            ),
        ],
    )
    def get(self, request, reference: str):
        booking, actor = _booking_for(request, reference)
        return Response(_render(booking, staff=not actor.is_customer))


class BookingCancelView(ApiView):
    @extend_schema(
        operation_id="bookings_cancel",
        summary="Cancel a booking (customer before the cut-off, staff until the start)",
        description="Cancelling a cancelled booking changes nothing and answers 200.",
        tags=["bookings"],
        parameters=[BOOKING_TOKEN_HEADER],
        request=CancelSerializer,
        responses={200: BookingSerializer, **errors(400, 404, 409)},
        examples=[
            OpenApiExample("Reason", request_only=True, value={"reason": "Feeling unwell"}),
            OpenApiExample(
                "Cancelled",
                response_only=True,
                value={**_BOOKING_EXAMPLE, "status": "cancelled", "allowed_moves": []},
            ),
        ],
    )
    def post(self, request, reference: str):
        booking, actor = _booking_for(request, reference)
        reason = _valid(CancelSerializer, request.data)["reason"]
        booking = booking_cancel(booking=booking, actor=actor, reason=reason)
        return Response(_render(booking, staff=not actor.is_customer))


class BookingRescheduleView(ApiView):
    @extend_schema(
        operation_id="bookings_reschedule",
        summary="Move a booking to another start (and optionally another staff member)",
        description="All or nothing: the booking ends up at the new time, or stays where it was.",
        tags=["bookings"],
        parameters=[BOOKING_TOKEN_HEADER],
        request=RescheduleSerializer,
        responses={200: BookingSerializer, **errors(400, 404, 409)},
        examples=[
            OpenApiExample("Later that day", request_only=True, value={"start": "2030-05-01T15:00:00+01:00"}),
            OpenApiExample(
                "Moved",
                response_only=True,
                value={**_BOOKING_EXAMPLE, "start": "2030-05-01T15:00:00+01:00", "end": "2030-05-01T15:30:00+01:00"},
            ),
        ],
    )
    def post(self, request, reference: str):
        booking, actor = _booking_for(request, reference)
        fields = _valid(RescheduleSerializer, request.data)
        staff_member = None
        if "staff" in fields:
            staff_member = StaffMember.objects.filter(pk=fields["staff"]).first()
            if staff_member is None:
                raise serializers.ValidationError({"staff": ["No such staff member."]})
        booking = booking_reschedule(booking=booking, start=fields["start"], staff_member=staff_member, actor=actor)
        return Response(_render(booking, staff=not actor.is_customer))


class _StaffMoveView(ApiView):
    permission_classes = [IsStaffOrAdmin]
    service = None

    def post(self, request, reference: str):
        booking = _staff_booking_for(request, reference)
        booking = type(self).service(booking=booking, actor=Actor.staff(request.user))
        return Response(_render(booking, staff=True))


def _staff_move_schema(operation_id: str, summary: str, status: str):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description="Staff of the booking's salon, or admins. An invalid move answers 409 with the allowed moves.",
        tags=["staff"],
        request=None,
        responses={200: StaffBookingSerializer, **errors(401, 403, 404, 409)},
        examples=[OpenApiExample(status.title(), response_only=True, value={**_BOOKING_EXAMPLE, "status": status})],
    )


class BookingConfirmView(_StaffMoveView):
    service = staticmethod(booking_confirm)

    @_staff_move_schema("bookings_confirm", "Confirm a pending booking (staff)", "confirmed")
    def post(self, request, reference: str):
        return super().post(request, reference)


class BookingCompleteView(_StaffMoveView):
    service = staticmethod(booking_complete)

    @_staff_move_schema("bookings_complete", "Record that the appointment took place (staff)", "completed")
    def post(self, request, reference: str):
        return super().post(request, reference)


class BookingNoShowView(_StaffMoveView):
    service = staticmethod(booking_mark_no_show)

    @_staff_move_schema("bookings_no_show", "Record that the customer did not come (staff)", "no_show")
    def post(self, request, reference: str):
        return super().post(request, reference)


class AgendaView(ApiView):
    permission_classes = [IsStaffOrAdmin]
    pagination_class = Pagination

    @extend_schema(
        operation_id="salons_bookings_list",
        summary="The day's bookings of a salon, every status (staff agenda)",
        tags=["staff"],
        parameters=[AgendaQuerySerializer],
        responses={200: AgendaBookingSerializer(many=True), **errors(400, 401, 403, 404)},
    )
    def get(self, request, slug: str):
        salon = get_object_or_404(Salon, slug=slug)
        if not user_can_manage_salon(request.user, salon.pk):
            raise Http404
        query = _valid(AgendaQuerySerializer, request.query_params)
        bookings = bookings_for_day(salon=salon, day=query["date"], staff_member_id=query.get("staff"))
        context = {"tz": salon.tz}
        return paginate(self, request, bookings, lambda page: AgendaBookingSerializer(page, many=True, context=context).data)
