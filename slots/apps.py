from django.apps import AppConfig


class SlotsConfig(AppConfig):
    name = "slots"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from slots import (
            cache,  # noqa: F401  (cached availability follows slot and schedule events)
            receivers,  # noqa: F401
        )
