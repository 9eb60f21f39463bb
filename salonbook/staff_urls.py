"""The staff pages, mounted under /staff/."""

from django.contrib.auth.views import LogoutView
from django.urls import path

from bookings.views import calendar as calendar_views
from bookings.views import customers, reports
from bookings.views.agenda import agenda
from bookings.views.booking_detail import (
    booking_detail,
    booking_move,
    booking_reschedule_view,
    booking_series_cancel_view,
)
from bookings.views.desk_booking import desk_booking
from monitoring import dashboard
from salons import views as salon_views
from slots import views as slot_views

app_name = "staff"

urlpatterns = [
    path("", salon_views.home, name="home"),
    path("login/", salon_views.StaffLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(next_page="staff:login"), name="logout"),
    path("logout-everywhere/", salon_views.logout_everywhere, name="logout_everywhere"),
    path("salons/", salon_views.salon_list, name="salon_list"),
    path("salons/<slug:slug>/", agenda, name="agenda"),
    path("salons/<slug:slug>/book/", desk_booking, name="desk_booking"),
    path("salons/<slug:slug>/block/", slot_views.block_time, name="block_time"),
    path("salons/<slug:slug>/unblock/", slot_views.unblock, name="unblock"),
    path("salons/<slug:slug>/customers/", customers.customer_list, name="customers"),
    path("salons/<slug:slug>/customers/<str:reference>/", customers.customer_detail, name="customer"),
    path("salons/<slug:slug>/customers/<str:reference>/note/", customers.customer_note, name="customer_note"),
    path("salons/<slug:slug>/customers/<str:reference>/erase/", customers.customer_erase_view, name="customer_erase"),
    path("salons/<slug:slug>/customers/<str:reference>/export/", customers.customer_export_view, name="customer_export"),
    path("salons/<slug:slug>/reports/", reports.salon_reports, name="reports"),
    path("salons/<slug:slug>/calendars/", calendar_views.calendar_links, name="calendar_links"),
    path(
        "salons/<slug:slug>/calendars/<int:member_id>/reset/", calendar_views.calendar_reset, name="calendar_reset"
    ),
    path("bookings/<str:reference>/", booking_detail, name="booking"),
    path("bookings/<str:reference>/reschedule/", booking_reschedule_view, name="booking_reschedule"),
    path("bookings/<str:reference>/cancel-series/", booking_series_cancel_view, name="booking_series_cancel"),
    path("bookings/<str:reference>/<str:move>/", booking_move, name="booking_move"),
    path("metrics/", dashboard.metrics_view, name="metrics"),
]
