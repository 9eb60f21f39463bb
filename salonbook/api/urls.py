"""Every API route, under /api/ (health and metrics are mounted by monitoring)."""

from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.urls import path, register_converter
from django.views import View
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from bookings.api import series as bookings_series_api
from bookings.api import views as bookings_api
from messaging.api import WhatsAppWebhookView
from resources import api as resources_api
from salonbook.api.auth import AuthTokenView, LogoutAllView, LogoutView
from salons import api as salons_api
from slots import api as slots_api
from slots import calendar_api
from waitlist import api as waitlist_api


class IdConverter:
    """A database id: digits that fit a 64-bit integer, so no lookup overflows."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")


class ApiDocsView(SpectacularSwaggerView):
    """The API docs page. OPTIONS answers with the allowed methods, as any
    Django view does: DRF's answer (the view's metadata) would be rendered by
    the page's HTML template renderer, which has no template for it."""

    def options(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:  # type: ignore[override]
        return View.options(self, request, *args, **kwargs)

urlpatterns = [
    path("auth/token/", AuthTokenView.as_view(), name="api-token"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("auth/logout-all/", LogoutAllView.as_view(), name="api-logout-all"),
    path("salons/", salons_api.SalonListView.as_view(), name="api-salons"),
    path("salons/<slug:slug>/", salons_api.SalonDetailView.as_view(), name="api-salon"),
    path("salons/<slug:slug>/services/", salons_api.SalonServicesView.as_view(), name="api-salon-services"),
    path("salons/<slug:slug>/staff/", salons_api.SalonStaffView.as_view(), name="api-salon-staff"),
    path("salons/<slug:slug>/resources/", resources_api.SalonResourcesView.as_view(), name="api-salon-resources"),
    path("salons/<slug:slug>/availability/", slots_api.AvailabilityView.as_view(), name="api-availability"),
    path("salons/<slug:slug>/calendar/", calendar_api.CalendarView.as_view(), name="api-calendar"),
    path("salons/<slug:slug>/bookings/", bookings_api.AgendaView.as_view(), name="api-agenda"),
    path("bookings/", bookings_api.BookingCreateView.as_view(), name="api-bookings"),
    path("salons/<slug:slug>/waitlist/", waitlist_api.WaitlistJoinView.as_view(), name="api-waitlist-join"),
    path("waitlist/<slug:reference>/", waitlist_api.WaitlistEntryView.as_view(), name="api-waitlist"),
    path("waitlist/<slug:reference>/leave/", waitlist_api.WaitlistLeaveView.as_view(), name="api-waitlist-leave"),
    path("waitlist/<slug:reference>/claim/", waitlist_api.WaitlistClaimView.as_view(), name="api-waitlist-claim"),
    path(
        "waitlist/<slug:reference>/decline/", waitlist_api.WaitlistDeclineView.as_view(), name="api-waitlist-decline"
    ),
    path("bookings/<slug:reference>/", bookings_api.BookingDetailView.as_view(), name="api-booking"),
    path("bookings/<slug:reference>/cancel/", bookings_api.BookingCancelView.as_view(), name="api-booking-cancel"),
    path(
        "bookings/<slug:reference>/reschedule/",
        bookings_api.BookingRescheduleView.as_view(),
        name="api-booking-reschedule",
    ),
    path(
        "bookings/<slug:reference>/confirm/",
        bookings_api.BookingStaffMoveView.as_view(move="confirm"),
        name="api-booking-confirm",
    ),
    path(
        "bookings/<slug:reference>/complete/",
        bookings_api.BookingStaffMoveView.as_view(move="complete"),
        name="api-booking-complete",
    ),
    path(
        "bookings/<slug:reference>/no-show/",
        bookings_api.BookingStaffMoveView.as_view(move="no_show"),
        name="api-booking-no-show",
    ),
    path("webhooks/whatsapp/", WhatsAppWebhookView.as_view(), name="api-webhook-whatsapp"),
    path("series/<id:pk>/cancel/", bookings_series_api.SeriesCancelView.as_view(), name="api-series-cancel"),
    path("slots/<id:pk>/block/", slots_api.SlotBlockView.as_view(), name="api-slot-block"),
    path("slots/<id:pk>/unblock/", slots_api.SlotUnblockView.as_view(), name="api-slot-unblock"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
]
