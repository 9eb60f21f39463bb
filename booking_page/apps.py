from django.apps import AppConfig


class BookingPageConfig(AppConfig):
    name = "booking_page"
    verbose_name = "Booking page"
