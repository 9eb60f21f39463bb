from django.contrib import admin

from salons.models import DayOff, Salon, Service, StaffMember, WorkingHours
from salons.services import business_info_delete, business_info_save


class BusinessInfoAdminMixin:
    """Saves go through the salons services, so caches and slots follow."""

    def save_model(self, request, obj, form, change):
        business_info_save(instance=obj)

    def delete_model(self, request, obj):
        business_info_delete(instance=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            business_info_delete(instance=obj)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            business_info_delete(instance=obj)
        for obj in instances:
            business_info_save(instance=obj)
        formset.save_m2m()


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0
    fields = (
        "name", "duration_minutes", "buffer_minutes", "processing_after_minutes", "processing_minutes", "price",
        "is_active",
    )


@admin.register(Salon)
class SalonAdmin(BusinessInfoAdminMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "timezone", "slot_minutes", "booking_window_days", "auto_confirm")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ServiceInline]
    fieldsets = (
        (None, {"fields": ("name", "slug", "timezone", "whatsapp_phone", "address")}),
        ("Booking rules", {"fields": ("slot_minutes", "booking_window_days", "cancellation_cutoff_hours", "auto_confirm")}),
    )


@admin.register(Service)
class ServiceAdmin(BusinessInfoAdminMixin, admin.ModelAdmin):
    list_display = ("name", "salon", "duration_minutes", "buffer_minutes", "price", "is_active")
    list_filter = ("salon", "is_active")
    search_fields = ("name",)


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class DayOffInline(admin.TabularInline):
    model = DayOff
    extra = 0


@admin.register(StaffMember)
class StaffMemberAdmin(BusinessInfoAdminMixin, admin.ModelAdmin):
    list_display = ("name", "salon", "role", "user", "is_active")
    list_filter = ("salon", "role", "is_active")
    search_fields = ("name", "user__username")
    filter_horizontal = ("services",)
    raw_id_fields = ("user",)
    inlines = [WorkingHoursInline, DayOffInline]
