from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """What a salon's bookings add up to over a range of days, on a page and as CSV."""

    name = "reports"
