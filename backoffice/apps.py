from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """The owner's back office: salon settings, services, staff, hours and
    closures. Above bookings, so it can say which bookings a change leaves
    outside the hours, and refuse a new slot grid while bookings lie ahead."""

    name = "backoffice"
