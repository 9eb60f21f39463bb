from django.contrib import admin

from resources.models import Resource
from resources.services import resource_save


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("name", "salon", "quantity", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "salon__name")
    filter_horizontal = ("services",)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # After the services are set, so the caches drop what they change.
        resource_save(resource=form.instance)
