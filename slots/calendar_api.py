"""A month of free starts in one request (anonymous, cached): what a phone's
month picker draws."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import zoneinfo
from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from salonbook.api.cached_reads import CachedReadView, json_answer, render_json
from salonbook.api.schema import errors
from salonbook.dates import day_within_reach
from salons.cache import business_info, business_info_entry
from salons.models import Service
from salons.selectors import NO_SUCH_SALON
from slots.api import (
    ServicesQuerySerializer,
    check_against_info,
    check_visit_against_info,
    free_visits_asked,
    local_iso,
)
from slots.availability import free_start_counts
from slots.cache import cached_calendar, calendar_entry

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class CalendarQuerySerializer(ServicesQuerySerializer):
    month = serializers.CharField(max_length=7, help_text="Salon-local month, YYYY-MM")

    def validate_month(self, value: str) -> dt.date:
        match = MONTH.match(value)
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise serializers.ValidationError("Give the month as YYYY-MM, e.g. 2030-05.")
        first = dt.date(int(match.group(1)), int(match.group(2)), 1)
        if not day_within_reach(first):
            raise serializers.ValidationError("Choose a month within ten years of today.")
        return first


class CalendarDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    free_starts = serializers.IntegerField(help_text="How many starts the day's availability lists")
    first_start = serializers.DateTimeField(allow_null=True, help_text="The earliest of them, or null")


class CalendarSerializer(serializers.Serializer):
    month = serializers.CharField()
    timezone = serializers.CharField()
    service = serializers.IntegerField()
    staff = serializers.IntegerField(allow_null=True)
    days = CalendarDaySerializer(many=True, help_text="One row per day of the month, in order")


def days_in(month: dt.date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def _build_days(*, salon_id: int, service_id: int, month: dt.date, staff_member_id: int | None) -> list[dict]:
    service = Service.objects.select_related("salon").get(pk=service_id, salon_id=salon_id)
    salon = service.salon
    length = days_in(month)
    counts = free_start_counts(
        salon=salon, first_day=month, days=length, service=service, staff_member_id=staff_member_id
    )
    rows = []
    for offset in range(length):
        day = month + dt.timedelta(days=offset)
        count, first = counts.get(day, (0, None))
        rows.append(
            {
                "date": day.isoformat(),
                "free_starts": count,
                "first_start": local_iso(first, salon.tz) if first else None,
            }
        )
    return rows


class CalendarView(CachedReadView):
    @extend_schema(
        operation_id="salons_calendar",
        summary="A month of free starts for a service: each day's count and first start",
        description=(
            "One row per salon-local day of the month. `free_starts` is the number of starts "
            "GET /api/salons/{slug}/availability/ lists for that day (same service and staff), "
            "`first_start` the earliest. Cached and made stale together with availability."
        ),
        tags=["availability"],
        parameters=[CalendarQuerySerializer],
        responses={200: CalendarSerializer, **errors(400, 404)},
        examples=[
            OpenApiExample(
                "A month",
                response_only=True,
                value={
                    "month": "2030-05",
                    "timezone": "Europe/London",
                    "service": 3,
                    "staff": None,
                    "days": [
                        {"date": "2030-05-01", "free_starts": 42, "first_start": "2030-05-01T09:00:00+01:00"},
                        {"date": "2030-05-02", "free_starts": 0, "first_start": None},
                        {"date": "2030-05-03", "free_starts": 17, "first_start": "2030-05-03T11:30:00+01:00"},
                    ],
                },
            )
        ],
    )
    def get(self, request, slug: str):
        query = CalendarQuerySerializer(data=request.query_params)
        valid = query.is_valid()
        if valid and query.validated_data.get("services") is not None:
            return self._visit(request, slug, query.validated_data)
        month, service_id, staff_id = (query.validated_data.get(name) for name in ("month", "service", "staff"))
        # The business info and (for a valid query) the month, read with the
        # rate-limit count: one round trip, as for a day.
        wanted = [business_info_entry(slug=slug)]
        if valid:
            wanted.append(
                calendar_entry(
                    slug=slug, month=month, days=days_in(month), service_id=service_id, staff_member_id=staff_id
                )
            )
        found = self.count_and_read(request, wanted)

        info = business_info(slug, found=found)
        if info is None:
            raise NotFound(NO_SUCH_SALON)
        if not valid:
            raise ValidationError(query.errors)
        check_against_info(info, service_id=service_id, staff_id=staff_id)
        body = cached_calendar(
            slug=slug,
            month=month,
            days=days_in(month),
            service_id=service_id,
            staff_member_id=staff_id,
            found=found,
            notice_minutes=info["booking_rules"].get("minimum_notice_minutes", 0),
            build=lambda: render_json(
                {
                    "month": f"{month:%Y-%m}",
                    "timezone": info["timezone"],
                    "service": service_id,
                    "staff": staff_id,
                    "days": _build_days(
                        salon_id=info["id"], service_id=service_id, month=month, staff_member_id=staff_id
                    ),
                }
            ),
        )
        return json_answer(body)

    def _visit(self, request, slug: str, query: dict[str, Any]) -> Response:
        """A visit's month: read each time (the single-service month is the cached one)."""
        info = business_info(slug, found=self.count_and_read(request, [business_info_entry(slug=slug)]))
        if info is None:
            raise NotFound(NO_SUCH_SALON)
        check_visit_against_info(info, query)
        month, tz = query["month"], zoneinfo.ZoneInfo(info["timezone"])
        found = free_visits_asked(
            salon_id=info["id"], first_day=month, days=days_in(month), service_ids=query["services"],
            staff_ids=query["staff"],
        )
        days = []
        for offset in range(days_in(month)):
            day = month + dt.timedelta(days=offset)
            visits = found.get(day, [])
            days.append(
                {
                    "date": day.isoformat(),
                    "free_starts": len(visits),
                    "first_start": local_iso(visits[0].start, tz) if visits else None,
                }
            )
        return Response(
            {"month": f"{month:%Y-%m}", "timezone": info["timezone"], "services": query["services"], "days": days}
        )
