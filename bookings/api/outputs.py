"""How the bookings API shows a booking: to its customer, to staff, in the agenda.

Times are shown in the salon's zone (context ``tz``); the moves a booking
allows are those open at the instant the request was served (context ``now``),
the same instant the service that answered it was asked at.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils.serializer_helpers import ReturnList

from bookings.messages.links import click_to_chat_url
from bookings.models import Booking
from bookings.selectors import booking_messages, booking_replies
from bookings.services import allowed_moves
from messaging.models import InboundReply, Message


class _LocalTimeField(serializers.DateTimeField):
    """A UTC instant in the salon's zone, with its offset (context ``tz``)."""

    def to_representation(self, value: dt.datetime) -> str:
        return value.astimezone(self.context["tz"]).isoformat()


class _NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PartOutSerializer(serializers.Serializer):
    service = _NamedSerializer()
    staff = _NamedSerializer(source="staff_member")
    start = _LocalTimeField()
    end = _LocalTimeField(help_text="End of the service itself")


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
    series = serializers.CharField(
        source="series_id",
        allow_null=True,
        help_text="The standing appointment it is one of (for POST /api/series/{id}/cancel/), or null",
    )
    parts = serializers.SerializerMethodField(help_text="Each service of the visit in order (one for a single service)")
    allowed_moves = serializers.SerializerMethodField(help_text="Status changes open to this booking now")
    changes_close_at = serializers.SerializerMethodField(
        help_text="Until when the customer may cancel or move it online (the salon's cut-off), in the salon's zone"
    )

    @extend_schema_field(PartOutSerializer(many=True))
    def get_parts(self, booking: Booking) -> Any:
        # Prefetched by the lists (``bookings.selectors.booking_parts``); one query for a single booking.
        parts = booking.parts.all() if _parts_prefetched(booking) else booking.parts.select_related(
            "service", "staff_member"
        ).order_by("position")
        return PartOutSerializer(parts, many=True, context=self.context).data

    def get_allowed_moves(self, booking: Booking) -> list[str]:
        return allowed_moves(booking, now=self.context["now"])

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_changes_close_at(self, booking: Booking) -> str:
        return booking.salon.cancellation_closes(booking.start).astimezone(self.context["tz"]).isoformat()


def _parts_prefetched(booking: Booking) -> bool:
    return "parts" in getattr(booking, "_prefetched_objects_cache", {})


class CreatedBookingSerializer(BookingSerializer):
    manage_token = serializers.CharField(help_text="Keep it: send it as X-Booking-Token to read, cancel or move")


class _OptionalLocalTimeField(_LocalTimeField):
    def to_representation(self, value: dt.datetime | None) -> str | None:  # type: ignore[override]
        return None if value is None else super().to_representation(value)


class MessageSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="booking_confirmed, reminder_24h, salon_new_booking, ...")
    to_salon = serializers.SerializerMethodField(help_text="Sent to the salon's own WhatsApp number")
    status = serializers.ChoiceField(choices=Message.Status.choices, help_text="Where the outbox is with it")
    delivery_status = serializers.CharField(help_text="What the provider last reported: sent, delivered, read, failed")
    due_at = _LocalTimeField()
    sent_at = _OptionalLocalTimeField(allow_null=True)
    delivered_at = _OptionalLocalTimeField(allow_null=True)
    read_at = _OptionalLocalTimeField(allow_null=True)
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()

    def get_to_salon(self, message: Message) -> bool:
        return message.to != self.context["customer_phone"]


class ReplySerializer(serializers.Serializer):
    text = serializers.CharField()
    outcome = serializers.ChoiceField(choices=InboundReply.Outcome.choices)
    received_at = _LocalTimeField()


class CreatedSeriesSerializer(serializers.Serializer):
    series = serializers.CharField(help_text="The standing appointment's id, for POST /api/series/{id}/cancel/")
    bookings = CreatedBookingSerializer(many=True, help_text="Each occurrence: a normal booking, in time order")


class SeriesCancelledSerializer(serializers.Serializer):
    series = serializers.CharField()
    cancelled = serializers.ListField(child=serializers.CharField(), help_text="References cancelled now")
    kept = serializers.ListField(
        child=serializers.CharField(),
        help_text="References ahead but inside the cancellation cut-off (a customer's request): call the salon",
    )


class StaffBookingSerializer(BookingSerializer):
    whatsapp_url = serializers.SerializerMethodField(help_text="wa.me click-to-chat link with the reminder text")
    messages = serializers.SerializerMethodField(help_text="Every message written for the booking, oldest first")
    replies = serializers.SerializerMethodField(help_text="The customer's WhatsApp replies about it")

    def get_whatsapp_url(self, booking: Booking) -> str:
        return click_to_chat_url(booking)

    @extend_schema_field(MessageSerializer(many=True))
    def get_messages(self, booking: Booking) -> Any:
        context = {**self.context, "customer_phone": booking.customer_phone}
        return MessageSerializer(booking_messages(booking=booking), many=True, context=context).data

    @extend_schema_field(ReplySerializer(many=True))
    def get_replies(self, booking: Booking) -> Any:
        return ReplySerializer(booking_replies(booking=booking), many=True, context=self.context).data


class AgendaBookingSerializer(BookingSerializer):
    # DRF drops a field its subclass sets to None: the agenda is one salon's.
    salon = None  # type: ignore[assignment]


def render_booking(booking: Booking, *, now: dt.datetime, staff: bool, created: bool = False) -> dict[str, Any]:
    """One booking as its reader sees it: staff get the WhatsApp link, a new
    booking's customer gets the manage token once."""
    serializer_class = CreatedBookingSerializer if created else StaffBookingSerializer if staff else BookingSerializer
    return serializer_class(booking, context={"tz": booking.salon.tz, "now": now}).data


def render_series(series_id: int, bookings: list[Booking], *, now: dt.datetime) -> dict[str, Any]:
    """A new standing appointment: its id and each booking with its manage token."""
    return {
        "series": str(series_id),
        "bookings": [render_booking(b, now=now, staff=False, created=True) for b in bookings],
    }


def render_agenda_page(bookings: list[Booking], *, tz: dt.tzinfo, now: dt.datetime) -> ReturnList:
    # many=True makes a list serializer, whose data is a list (the stubs cannot tell).
    return cast(ReturnList, AgendaBookingSerializer(bookings, many=True, context={"tz": tz, "now": now}).data)


BOOKING_EXAMPLE = {
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
    "series": None,
    "allowed_moves": ["cancel"],
    "changes_close_at": "2030-04-30T10:00:00+01:00",
}
