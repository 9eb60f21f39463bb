from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The salon's front desk: the staff pages of a day (the agenda with its
    waitlist panel, booking at the desk, one booking's page, free times)."""

    name = "desk"
