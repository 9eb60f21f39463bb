from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import request_finished, setting_changed
        from django.db.backends.signals import connection_created

        from monitoring import receivers
        from monitoring.context import clear_request_id
        from monitoring.metrics.store import reset_store
        from monitoring.middleware import install_query_timer

        receivers.connect()
        request_finished.connect(clear_request_id, dispatch_uid="monitoring.request_id")
        connection_created.connect(install_query_timer, dispatch_uid="monitoring.query_timer")

        def _settings_changed(setting: str, **kwargs) -> None:
            if setting in {
                "METRICS_REDIS_URL",
                "METRICS_KEY_PREFIX",
                "METRICS_RETRY_AFTER_SECONDS",
                "METRICS_FLUSH_SECONDS",
                "REDIS_TIMEOUT",
            }:
                reset_store()

        setting_changed.connect(_settings_changed, weak=False, dispatch_uid="monitoring.settings")
