"""The standing appointments API: cancelling the rest of a series."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response

from bookings.api.access import series_and_actor
from bookings.api.inputs import CancelSerializer, valid
from bookings.api.outputs import SeriesCancelledSerializer
from bookings.booking_plans import booking_series_cancel
from salonbook.api.base import ApiView
from salonbook.api.schema import BOOKING_TOKEN_HEADER, errors


class SeriesCancelView(ApiView):
    @extend_schema(
        operation_id="series_cancel",
        summary="Cancel the bookings of a standing appointment still ahead",
        description=(
            "Staff of the salon (by login), or the customer with the X-Booking-Token of any booking of the "
            "series. Past and finished bookings stay as they are. A customer's request keeps those already "
            "inside the cancellation cut-off (listed in `kept`); staff cancel every one ahead. Repeating it "
            "cancels nothing more."
        ),
        tags=["bookings"],
        parameters=[BOOKING_TOKEN_HEADER],
        request=CancelSerializer,
        responses={200: SeriesCancelledSerializer, **errors(400, 404)},
        examples=[
            OpenApiExample(
                "Cancelled",
                response_only=True,
                value={"series": "12", "cancelled": ["k5q3zj7m2x4c6v8b9n1p3r5t7w"], "kept": []},
            )
        ],
    )
    def post(self, request, pk: int):
        series, actor = series_and_actor(request, pk)
        reason = valid(CancelSerializer, request.data)["reason"]
        outcome = booking_series_cancel(series=series, actor=actor, reason=reason, now=timezone.now())
        return Response(
            {
                "series": str(series.pk),
                "cancelled": [b.reference for b in outcome.cancelled],
                "kept": [b.reference for b in outcome.kept],
            }
        )
