"""The bookings API's views: each parses its input, asks ``access`` who is
acting, calls one service and renders the booking.

Each request reads the clock once: the service decides at that instant and the
answer's ``allowed_moves`` are those open at the same instant.

Past 350 lines because most of it is the OpenAPI description and examples
beside each view; the code of each view is a few lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework.response import Response

from bookings.api.access import booking_and_actor, booking_for_staff
from bookings.api.inputs import (
    AgendaQuerySerializer,
    BookingCreateSerializer,
    CancelSerializer,
    RescheduleSerializer,
    valid,
)
from bookings.api.outputs import (
    BOOKING_EXAMPLE,
    AgendaBookingSerializer,
    BookingSerializer,
    CreatedBookingSerializer,
    CreatedSeriesSerializer,
    StaffBookingSerializer,
    render_agenda_page,
    render_booking,
    render_series,
)
from bookings.booking_plans import PartChoice, Repeat, booking_book
from bookings.idempotency import Outcome, idempotent, outcome_response, request_fingerprint
from bookings.selectors import bookings_for_day
from bookings.services import (
    Actor,
    Customer,
    booking_cancel,
    booking_complete,
    booking_confirm,
    booking_mark_no_show,
    booking_reschedule,
)
from salonbook.api.base import ApiView
from salonbook.api.exceptions import envelope
from salonbook.api.pagination import Pagination, paginate
from salonbook.api.schema import BOOKING_TOKEN_HEADER, errors
from salonbook.errors import AlreadyBooked, SlotUnavailable
from salons.models import Salon
from salons.permissions import IsStaffOrAdmin
from salons.selectors import user_can_manage_salon

IDEMPOTENCY_SCOPE = "bookings.create"


class BookingCreateView(ApiView):
    # Counted with the API-wide limit in one round trip to the counter store.
    rate_limit_scopes_by_method = {"POST": ("bookings",)}

    @extend_schema(
        operation_id="bookings_create",
        summary="Book a start that availability offered",
        description=(
            "Send an `Idempotency-Key` header (a UUID) to retry safely: the same key and body return the "
            "first answer (with header `Idempotent-Replayed: true`) and book nothing more; the same key "
            "with another body answers 422. Keys are kept 24 hours. Limited to RATE_LIMIT_BOOKINGS a client.\n\n"
            "Without `staff` (or with null) the salon books anyone who does the service and is free then: "
            "the one with the least booked time that day, ties by id; the answer's `staff` says who.\n\n"
            "A phone has one live booking at a start per salon: a second one (the same request sent twice "
            "without an `Idempotency-Key`, with this stylist or any other) answers 409 `already_booked`.\n\n"
            "With `repeat` it books a standing appointment: the same wall-clock time every `every_weeks` "
            "weeks, `count` times, with one staff member: the named one, or without `staff` the first of "
            "those free at the first time (in the order above) who is free at every time; if nobody is, "
            "the 409 names the taken times of the one who came closest. The salon's staff always may; "
            "customers only where the salon allows it (its business "
            "info's `booking_rules.customers_book_series`), otherwise 403. A customer's series keeps the "
            "customer rules at every time: the minimum notice, and the booking window (a time beyond it "
            "is 400 `outside_booking_window`). All or none: if any time is not free the answer is 409 with "
            "the taken times in `details.conflicts` and nothing is booked. The answer is "
            "`{series, bookings}`, each booking with its own `manage_token`; any of them cancels the rest "
            "of the series with `POST /api/series/{id}/cancel/`."
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
        responses={
            201: PolymorphicProxySerializer(
                component_name="BookingCreated",
                serializers=[CreatedBookingSerializer, CreatedSeriesSerializer],
                resource_type_field_name=None,
            ),
            **errors(400, 403, 409, 422),
        },
        examples=[
            OpenApiExample(
                "Anyone free",
                request_only=True,
                value={
                    "salon": "demo",
                    "service": 3,
                    "start": "2030-05-01T10:00:00+01:00",
                    "customer_name": "Ana Silva",
                    "customer_phone": "+447911123456",
                },
            ),
            OpenApiExample(
                "Every four weeks, six times (staff)",
                request_only=True,
                value={
                    "salon": "demo",
                    "service": 3,
                    "staff": 7,
                    "start": "2030-05-01T10:00:00+01:00",
                    "customer_name": "Ana Silva",
                    "customer_phone": "+447911123456",
                    "repeat": {"every_weeks": 4, "count": 6},
                },
            ),
            OpenApiExample(
                "Series booked",
                response_only=True,
                status_codes=["201"],
                value={"series": "12", "bookings": [{**BOOKING_EXAMPLE, "manage_token": "oC2k...secret...9Q"}]},
            ),
            OpenApiExample(
                "Series refused: some times taken",
                response_only=True,
                status_codes=["409"],
                value={
                    "error": {
                        "code": "slot_unavailable",
                        "message": "1 of the 6 times are not free; nothing was booked.",
                        "details": {"conflicts": ["2030-05-29T10:00:00+01:00"]},
                    }
                },
            ),
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
                value={**BOOKING_EXAMPLE, "manage_token": "oC2k...secret...9Q"},
            ),
        ],
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return outcome_response(self._book(request, request.data))
        outcome = idempotent(
            key=key,
            scope=IDEMPOTENCY_SCOPE,
            fingerprint=request_fingerprint(request.data),
            run=lambda: self._book(request, request.data),
        )
        return outcome_response(outcome)

    def _book(self, request, data: Any) -> Outcome:
        fields = valid(BookingCreateSerializer, data)
        salon = fields["salon"]
        repeat = fields["repeat"]
        staff = user_can_manage_salon(request.user, salon.pk)
        now = timezone.now()
        try:
            booked = booking_book(
                salon=salon,
                service=fields["service"],
                staff_member=fields["staff"],
                start=fields["start"],
                customer=Customer(fields["customer_name"], fields["customer_phone"], fields["customer_email"]),
                repeat=Repeat(repeat["every_weeks"], repeat["count"]) if repeat else None,
                then=[PartChoice(service, member) for service, member in fields["then"]],
                actor=Actor.staff(request.user) if staff else Actor.customer(),
                now=now,
            )
        except (SlotUnavailable, AlreadyBooked) as error:
            # Stored like a success: a retry of a request that lost the race
            # learns the same, and books nothing.
            return Outcome(status=error.status, body=envelope(error.code, error.message, error.details))
        if booked.series is not None:
            return Outcome(status=201, body=render_series(booked.series.pk, booked.bookings, now=now))
        return Outcome(status=201, body=render_booking(booked.booking, now=now, staff=False, created=True))


class BookingDetailView(ApiView):
    @extend_schema(
        operation_id="bookings_retrieve",
        summary="A booking: customers with X-Booking-Token, staff of its salon by login",
        tags=["bookings"],
        parameters=[BOOKING_TOKEN_HEADER],
        responses={200: StaffBookingSerializer, **errors(404)},
        examples=[
            OpenApiExample("For the customer", response_only=True, value=BOOKING_EXAMPLE),
            OpenApiExample(
                "For staff",
                response_only=True,
                value={**BOOKING_EXAMPLE, "whatsapp_url": "https://wa.me/447911123456?text=Hello%20Ana"},
            ),
        ],
    )
    def get(self, request, reference: str):
        booking, actor = booking_and_actor(request, reference)
        return Response(render_booking(booking, now=timezone.now(), staff=not actor.is_customer))


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
                value={**BOOKING_EXAMPLE, "status": "cancelled", "allowed_moves": []},
            ),
        ],
    )
    def post(self, request, reference: str):
        booking, actor = booking_and_actor(request, reference)
        reason = valid(CancelSerializer, request.data)["reason"]
        now = timezone.now()
        booking = booking_cancel(booking=booking, actor=actor, reason=reason, now=now)
        return Response(render_booking(booking, now=now, staff=not actor.is_customer))


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
                value={**BOOKING_EXAMPLE, "start": "2030-05-01T15:00:00+01:00", "end": "2030-05-01T15:30:00+01:00"},
            ),
        ],
    )
    def post(self, request, reference: str):
        booking, actor = booking_and_actor(request, reference)
        fields = valid(RescheduleSerializer, request.data)
        now = timezone.now()
        booking = booking_reschedule(
            booking=booking, start=fields["start"], staff_member=fields.get("staff"), actor=actor, now=now
        )
        return Response(render_booking(booking, now=now, staff=not actor.is_customer))


# --- Staff moves: confirm, complete, no-show ---------------------------------------------------


@dataclass(frozen=True)
class StaffMove:
    """One state-machine move staff make through the API, and how the schema names it."""

    service: Any
    operation_id: str
    summary: str
    status: str


STAFF_MOVES = {
    "confirm": StaffMove(booking_confirm, "bookings_confirm", "Confirm a pending booking (staff)", "confirmed"),
    "complete": StaffMove(
        booking_complete, "bookings_complete", "Record that the appointment took place (staff)", "completed"
    ),
    "no_show": StaffMove(
        booking_mark_no_show, "bookings_no_show", "Record that the customer did not come (staff)", "no_show"
    ),
}


class StaffMoveSchema(AutoSchema):
    """Names each URL of ``BookingStaffMoveView`` after the move it makes."""

    def _move(self) -> StaffMove:
        return STAFF_MOVES[cast("BookingStaffMoveView", self.view).move]

    def get_operation_id(self) -> str:
        return self._move().operation_id

    def get_summary(self) -> str:
        return self._move().summary

    def get_examples(self) -> list[OpenApiExample]:
        status = self._move().status
        return [OpenApiExample(status.title(), response_only=True, value={**BOOKING_EXAMPLE, "status": status})]


class BookingStaffMoveView(ApiView):
    """A staff move on one booking; which one is set per URL: ``as_view(move="confirm")``."""

    permission_classes = [IsStaffOrAdmin]
    schema = StaffMoveSchema()
    move: str = ""

    @extend_schema(
        description="Staff of the booking's salon, or admins. An invalid move answers 409 with the allowed moves.",
        tags=["staff"],
        request=None,
        responses={200: StaffBookingSerializer, **errors(401, 403, 404, 409)},
    )
    def post(self, request, reference: str):
        booking = booking_for_staff(request, reference)
        now = timezone.now()
        booking = STAFF_MOVES[self.move].service(booking=booking, actor=Actor.staff(request.user), now=now)
        return Response(render_booking(booking, now=now, staff=True))


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
        query = valid(AgendaQuerySerializer, request.query_params)
        bookings = bookings_for_day(salon=salon, day=query["date"], staff_member_id=query.get("staff"))
        now = timezone.now()
        return paginate(self, request, bookings, lambda page: render_agenda_page(page, tz=salon.tz, now=now))
