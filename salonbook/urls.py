from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    # Health, metrics and the admins' health page: before "api/" and "admin/".
    path("", include("monitoring.urls")),
    path("admin/", admin.site.urls),
    path("staff/", include("salonbook.staff_urls")),
]
