"""Monitoring routes; ``salonbook/urls.py`` mounts them before the API's include."""

from django.contrib.admin.views.decorators import staff_member_required
from django.urls import path
from health_check.views import HealthCheckView

from monitoring import views
from monitoring.health import admin_page_checks


class AdminHealthCheckView(HealthCheckView):
    """django-health-check's own page, with our probes instead of its defaults (Mail, DNS)."""

    def get_checks(self):
        self.checks = admin_page_checks()
        return super().get_checks()


urlpatterns = [
    path("api/health", views.health_view, name="health"),
    path("api/health/live", views.live_view, name="health-live"),
    path("api/metrics", views.MetricsView.as_view(), name="metrics"),
    path("admin/health/", staff_member_required(AdminHealthCheckView.as_view()), name="admin-health"),
]
