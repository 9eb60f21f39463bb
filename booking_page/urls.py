from django.urls import path

from booking_page.views import booking_page

urlpatterns = [
    path("<slug:slug>/", booking_page, name="booking-page"),
]
