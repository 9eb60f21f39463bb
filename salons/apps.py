from django.apps import AppConfig


class SalonsConfig(AppConfig):
    name = "salons"
    default_auto_field = "django.db.models.BigAutoField"
