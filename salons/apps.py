from django.apps import AppConfig


class SalonsConfig(AppConfig):
    name = "salons"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Cached business info follows every change to it.
        from salons import cache  # noqa: F401
