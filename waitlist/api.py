"""The waitlist API: join, read, leave, claim and decline. Each view parses
its input, finds the entry by reference and token, and calls one service.

A wrong or missing ``X-Waitlist-Token`` answers 404 like an unknown
reference, so references cannot be probed.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from bookings.api.inputs import MAX_ID, valid
from bookings.api.outputs import BOOKING_EXAMPLE, CreatedBookingSerializer, render_booking
from bookings.idempotency import Outcome, idempotent, outcome_response, request_fingerprint
from salonbook.api.base import ApiView
from salonbook.api.schema import errors
from salonbook.dates import DaySerializerField
from salonbook.text import validate_person_name
from salons.models import Salon, Service, StaffMember
from waitlist.models import WaitlistEntry
from waitlist.selectors import live_offer
from waitlist.services import waitlist_claim, waitlist_decline, waitlist_join, waitlist_leave

TOKEN_HEADER = "X-Waitlist-Token"
IDEMPOTENCY_SCOPE = "waitlist.join"
WAITLIST_TOKEN = OpenApiParameter(
    TOKEN_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The entry's manage_token, given when it joined.",
)


class JoinSerializer(serializers.Serializer):
    service = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Service id")
    staff = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, help_text="Staff member id (default: anyone)"
    )
    date_from = DaySerializerField(help_text="First salon-local day, YYYY-MM-DD")
    date_to = DaySerializerField(help_text="Last salon-local day, YYYY-MM-DD")
    earliest = serializers.TimeField(required=False, allow_null=True, format="%H:%M", help_text="Local HH:MM")
    latest = serializers.TimeField(required=False, allow_null=True, format="%H:%M", help_text="Local HH:MM")
    customer_name = serializers.CharField(max_length=120, validators=[validate_person_name])
    customer_phone = serializers.CharField(max_length=32, help_text="E.164, or national in the salon's country")

    def validate_service(self, pk: int) -> Service:
        found = Service.objects.filter(pk=pk).first()
        if found is None:
            raise serializers.ValidationError("No such service.")
        return found

    def validate_staff(self, pk: int | None) -> StaffMember | None:
        if pk is None:
            return None
        found = StaffMember.objects.filter(pk=pk).first()
        if found is None:
            raise serializers.ValidationError("No such staff member.")
        return found


class _OfferSerializer(serializers.Serializer):
    start = serializers.SerializerMethodField()
    staff = serializers.CharField(source="staff_member.name")
    expires_at = serializers.DateTimeField()

    def get_start(self, offer) -> str:
        return offer.start.astimezone(self.context["tz"]).isoformat()


class EntrySerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=WaitlistEntry.Status.choices)
    salon = serializers.CharField(source="salon.slug")
    service = serializers.CharField(source="service.name")
    staff = serializers.CharField(source="staff_member.name", allow_null=True, default=None)
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    earliest = serializers.TimeField(format="%H:%M", allow_null=True)
    latest = serializers.TimeField(format="%H:%M", allow_null=True)
    customer_name = serializers.CharField()
    offer = serializers.SerializerMethodField(help_text="The time held for this entry, while an offer stands")
    booking = serializers.CharField(source="booking.reference", allow_null=True, default=None)

    def get_offer(self, entry: WaitlistEntry) -> dict[str, Any] | None:
        offer = live_offer(entry)
        return None if offer is None else dict(_OfferSerializer(offer, context=self.context).data)


class JoinedSerializer(EntrySerializer):
    manage_token = serializers.CharField(help_text=f"Keep it: send it as {TOKEN_HEADER}")


ENTRY_EXAMPLE = {
    "reference": "q3zk7w2mxa5c4rlb",
    "status": "offered",
    "salon": "demo",
    "service": "Cut",
    "staff": None,
    "date_from": "2030-05-01",
    "date_to": "2030-05-07",
    "earliest": "09:00",
    "latest": "13:00",
    "customer_name": "Ana Silva",
    "offer": {"start": "2030-05-02T10:00:00+01:00", "staff": "Maria", "expires_at": "2030-05-01T09:15:00Z"},
    "booking": None,
}


def render_entry(entry: WaitlistEntry, *, created: bool = False) -> dict[str, Any]:
    serializer = JoinedSerializer if created else EntrySerializer
    return dict(serializer(entry, context={"tz": entry.salon.tz}).data)


def entry_for_token(request, reference: str) -> WaitlistEntry:
    entry = (
        WaitlistEntry.objects.select_related("salon", "service", "staff_member", "booking")
        .filter(reference=reference)
        .first()
    )
    if entry is None or not entry.token_matches(request.headers.get(TOKEN_HEADER)):
        raise Http404
    return entry


class WaitlistJoinView(ApiView):
    # Joins count against the bookings limit: they cost the salon the same attention.
    rate_limit_scopes_by_method = {"POST": ("bookings",)}

    @extend_schema(
        operation_id="waitlist_join",
        summary="Wait for a time to come free",
        description=(
            "When a start that fits comes free, the entry that joined first is offered it: the time is held "
            "for WAITLIST_OFFER_MINUTES and a WhatsApp message with a claim link goes out. Limited to "
            "RATE_LIMIT_BOOKINGS a client.\n\n"
            "Send an `Idempotency-Key` header (a UUID per attempt) to join once however often the request "
            "is sent: the same key and body return the first answer and add no second entry; the same key "
            "with another body answers 422. Keys are kept 24 hours."
        ),
        tags=["waitlist"],
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="A unique value per attempt to join, e.g. a UUID; reuse it only to retry.",
            )
        ],
        request=JoinSerializer,
        responses={201: JoinedSerializer, **errors(400, 404, 422)},
        examples=[
            OpenApiExample(
                "Any stylist, mornings, next week",
                request_only=True,
                value={
                    "service": 3,
                    "date_from": "2030-05-01",
                    "date_to": "2030-05-07",
                    "earliest": "09:00",
                    "latest": "13:00",
                    "customer_name": "Ana Silva",
                    "customer_phone": "+447911123456",
                },
            ),
            OpenApiExample(
                "Joined",
                response_only=True,
                status_codes=["201"],
                value={**ENTRY_EXAMPLE, "status": "waiting", "offer": None, "manage_token": "oC2k...secret...9Q"},
            ),
        ],
    )
    def post(self, request, slug: str):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return outcome_response(self._join(request.data, slug))
        outcome = idempotent(
            key=key,
            scope=IDEMPOTENCY_SCOPE,
            fingerprint=request_fingerprint({"salon": slug, "body": request.data}),
            run=lambda: self._join(request.data, slug),
        )
        return outcome_response(outcome)

    def _join(self, data: Any, slug: str) -> Outcome:
        salon = get_object_or_404(Salon, slug=slug)
        fields = valid(JoinSerializer, data)
        entry = waitlist_join(
            salon=salon,
            service=fields["service"],
            staff_member=fields.get("staff"),
            date_from=fields["date_from"],
            date_to=fields["date_to"],
            earliest=fields.get("earliest"),
            latest=fields.get("latest"),
            customer_name=fields["customer_name"],
            customer_phone=fields["customer_phone"],
            now=timezone.now(),
        )
        return Outcome(status=201, body=render_entry(entry, created=True))


class WaitlistEntryView(ApiView):
    @extend_schema(
        operation_id="waitlist_retrieve",
        summary="A waitlist entry, with the time held for it while an offer stands",
        tags=["waitlist"],
        parameters=[WAITLIST_TOKEN],
        responses={200: EntrySerializer, **errors(404)},
        examples=[OpenApiExample("Offered", response_only=True, value=ENTRY_EXAMPLE)],
    )
    def get(self, request, reference: str):
        return Response(render_entry(entry_for_token(request, reference)))


class WaitlistLeaveView(ApiView):
    @extend_schema(
        operation_id="waitlist_leave",
        summary="Leave the waitlist (time held for the entry is passed on)",
        tags=["waitlist"],
        parameters=[WAITLIST_TOKEN],
        request=None,
        responses={200: EntrySerializer, **errors(404)},
        examples=[OpenApiExample("Left", response_only=True, value={**ENTRY_EXAMPLE, "status": "left", "offer": None})],
    )
    def post(self, request, reference: str):
        entry = waitlist_leave(entry=entry_for_token(request, reference), now=timezone.now())
        return Response(render_entry(entry))


class WaitlistDeclineView(ApiView):
    @extend_schema(
        operation_id="waitlist_decline",
        summary="Let the offered time go; the entry waits on for another",
        tags=["waitlist"],
        parameters=[WAITLIST_TOKEN],
        request=None,
        responses={200: EntrySerializer, **errors(404)},
        examples=[
            OpenApiExample("Declined", response_only=True, value={**ENTRY_EXAMPLE, "status": "waiting", "offer": None})
        ],
    )
    def post(self, request, reference: str):
        entry = waitlist_decline(entry=entry_for_token(request, reference), now=timezone.now())
        return Response(render_entry(entry))


class WaitlistClaimView(ApiView):
    @extend_schema(
        operation_id="waitlist_claim",
        summary="Book the time held for this entry",
        description="Same rules as booking. The claim is single use: claiming again answers 409 `offer_claimed`.",
        tags=["waitlist"],
        parameters=[WAITLIST_TOKEN],
        request=None,
        responses={201: CreatedBookingSerializer, **errors(404, 409)},
        examples=[OpenApiExample("Booked", response_only=True, status_codes=["201"], value=BOOKING_EXAMPLE)],
    )
    def post(self, request, reference: str):
        entry = entry_for_token(request, reference)
        now = timezone.now()
        booking = waitlist_claim(entry=entry, now=now)
        body = render_booking(booking, now=now, staff=False, created=True)
        return Response(body, status=201)


