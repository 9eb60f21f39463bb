from django.contrib import admin
from django.urls import include, path

from bookings.views.calendar import calendar_feed
from bookings.views.manage import booking_calendar_file, manage_booking
from waitlist.views import claim_page

urlpatterns = [
    # Health, metrics and the admins' health page: before "api/" and "admin/".
    path("", include("monitoring.urls")),
    path("admin/", admin.site.urls),
    path("staff/", include("salonbook.staff_urls")),
    path("api/", include("salonbook.api.urls")),
    # The customer's own page, linked from confirmations and reminders.
    path("manage/<slug:reference>/", manage_booking, name="manage-booking"),
    path("manage/<slug:reference>/booking.ics", booking_calendar_file, name="manage-booking-ics"),
    # A staff member's private feed: the secret in the path is its only key.
    path("calendar/<slug:secret>.ics", calendar_feed, name="calendar-feed"),
    # The page behind the link in a waitlist offer.
    path("waitlist/<slug:reference>/", claim_page, name="waitlist-claim"),
]

# Under /api/ a route that does not exist, or an error outside a view, still
# answers in the API's error envelope; elsewhere Django's pages.
handler404 = "salonbook.api.exceptions.not_found"
handler500 = "salonbook.api.exceptions.server_error"
