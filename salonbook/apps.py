from django.apps import AppConfig


class SalonBookConfig(AppConfig):
    """The project package as an app: only to register its start-up checks."""

    name = "salonbook"
    label = "salonbook"

    def ready(self) -> None:
        from salonbook import checks  # noqa: F401  (registers the checks)
