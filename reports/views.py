"""The salon's report for a date range, as charts and tables, and as CSV.

Staff of the salon see it too, without the revenue: how busy the salon is
helps them plan, while takings are the owner's business.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from reports.forms import ReportRangeForm
from reports.selectors import STATUS_ORDER, SalonReport, salon_report
from salonbook.text import SpreadsheetCsvWriter
from salons.views import salon_access, staff_required


def _charts(report: SalonReport) -> dict[str, Any]:
    hours = report.busy_hours
    return {
        "statuses": [
            {"status": s.value, "label": s.label, "count": report.by_status[s.value]} for s in STATUS_ORDER
        ],
        "staff": {
            "labels": [row.name for row in report.staff],
            "utilisation": [round(row.utilisation * 100, 1) if row.utilisation is not None else 0 for row in report.staff],
        },
        "hours": {"labels": [f"{hour:02d}:00" for hour in hours], "counts": [report.by_hour[hour] for hour in hours]},
    }


def _csv(report: SalonReport, *, with_revenue: bool) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="report-{report.first_day.isoformat()}-{report.last_day.isoformat()}.csv"'
    )
    out = SpreadsheetCsvWriter(response)
    out.writerow(["section", "item", "value", "extra"])
    out.writerow(["range", "from", report.first_day.isoformat(), ""])
    out.writerow(["range", "to", report.last_day.isoformat(), ""])
    for status in STATUS_ORDER:
        out.writerow(["bookings by status", status.label, report.by_status[status.value], ""])
    out.writerow(["bookings", "total", report.total, ""])
    out.writerow(["rates", "cancellation rate", report.cancellation_rate if report.cancellation_rate is not None else "", ""])
    out.writerow(["rates", "no-show rate", report.no_show_rate if report.no_show_rate is not None else "", ""])
    if with_revenue:
        out.writerow(["revenue", "completed bookings", str(report.revenue), ""])
    for row in report.staff:
        utilisation = row.utilisation if row.utilisation is not None else ""
        out.writerow(["utilisation", row.name, utilisation, f"{row.booked_hours} of {row.working_hours} hours"])
    for hour, count in enumerate(report.by_hour):
        out.writerow(["bookings by hour", f"{hour:02d}:00", count, ""])
    return response


@never_cache
@staff_required
def salon_reports(request: HttpRequest, slug: str) -> HttpResponse:
    """``?date_from=&date_to=`` (the last 30 days by default); ``&format=csv`` downloads it."""
    access = salon_access(request, slug)
    salon, is_owner = access.salon, access.can_change
    form = ReportRangeForm.for_query(request.GET, today=timezone.localdate(timezone=salon.tz))
    context: dict[str, Any] = {"nav": "reports", "salon": salon, "is_owner": is_owner, "form": form}
    if not form.is_valid():
        return render(request, "staff/reports/report.html", context, status=400)
    report = salon_report(salon=salon, first_day=form.cleaned_data["date_from"], last_day=form.cleaned_data["date_to"])
    if request.GET.get("format") == "csv":
        return _csv(report, with_revenue=is_owner)
    context.update(
        report=report,
        statuses=[(s.label, s.value, report.by_status[s.value]) for s in STATUS_ORDER],
        charts=_charts(report),
        csv_query=f"date_from={report.first_day.isoformat()}&date_to={report.last_day.isoformat()}&format=csv",
    )
    return render(request, "staff/reports/report.html", context)
