"""The staff pages, mounted under /staff/."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.views import LogoutView
from django.urls import path

from backoffice.views import catalogue, schedules, settings_page, staff
from bookings.views import calendar as calendar_views
from bookings.views import customers
from desk.views.agenda import agenda
from desk.views.booking_detail import (
    booking_detail,
    booking_move,
    booking_reschedule_view,
    booking_series_cancel_view,
)
from desk.views.desk_booking import desk_booking
from monitoring import dashboard
from reports import views as reports
from salons import views as salon_views
from slots import views as slot_views
from waitlist import staff as waitlist_staff

app_name = "staff"

urlpatterns = [
    path("", salon_views.home, name="home"),
    path("login/", salon_views.StaffLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(next_page="staff:login"), name="logout"),
    path("logout-everywhere/", salon_views.logout_everywhere, name="logout_everywhere"),
    path("salons/", salon_views.salon_list, name="salon_list"),
    path("salons/<slug:slug>/", agenda, name="agenda"),
    path("salons/<slug:slug>/book/", desk_booking, name="desk_booking"),
    path("salons/<slug:slug>/waitlist/add/", waitlist_staff.add_entry, name="waitlist_add"),
    path("salons/<slug:slug>/waitlist/<slug:reference>/offer/", waitlist_staff.offer_by_hand, name="waitlist_offer"),
    path("salons/<slug:slug>/waitlist/<slug:reference>/withdraw/", waitlist_staff.withdraw, name="waitlist_withdraw"),
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
    # The back office: owners change, the salon's stylists see it read-only.
    path("salons/<slug:slug>/settings/", settings_page.salon_settings, name="backoffice_settings"),
    path("salons/<slug:slug>/settings/services/", catalogue.service_list, name="backoffice_services"),
    path("salons/<slug:slug>/settings/services/<int:pk>/", catalogue.service_edit, name="backoffice_service"),
    path(
        "salons/<slug:slug>/settings/services/<int:pk>/<str:action>/",
        catalogue.service_action,
        name="backoffice_service_action",
    ),
    path("salons/<slug:slug>/settings/resources/", catalogue.resource_list, name="backoffice_resources"),
    path("salons/<slug:slug>/settings/resources/<int:pk>/", catalogue.resource_edit, name="backoffice_resource"),
    path("salons/<slug:slug>/settings/staff/", staff.staff_list, name="backoffice_staff"),
    path("salons/<slug:slug>/settings/staff/<int:pk>/", staff.staff_edit, name="backoffice_staff_edit"),
    path("salons/<slug:slug>/settings/staff/<int:pk>/invite/", staff.staff_invite, name="backoffice_invite"),
    path("salons/<slug:slug>/settings/staff/<int:pk>/hours/", schedules.staff_hours, name="backoffice_hours"),
    path("salons/<slug:slug>/settings/days-off/<int:pk>/delete/", schedules.day_off_delete, name="backoffice_day_off_delete"),
    path("salons/<slug:slug>/settings/closures/", schedules.closures, name="backoffice_closures"),
    path(
        "salons/<slug:slug>/settings/closures/<int:pk>/delete/", schedules.closure_delete, name="backoffice_closure_delete"
    ),
    # An invited staff member chooses their password (Django's password-reset token).
    path(
        "set-password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="staff/backoffice/set_password.html",
            success_url="/staff/set-password/done/",
            post_reset_login=False,
        ),
        name="set_password",
    ),
    path(
        "set-password/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="staff/backoffice/set_password_done.html"),
        name="set_password_done",
    ),
]
