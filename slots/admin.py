from django.contrib import admin

from salonbook.admin_actions import apply_to_each
from slots.models import Slot
from slots.services import slot_block, slot_unblock


def _apply(modeladmin, request, queryset, service, done: str) -> None:
    apply_to_each(
        modeladmin,
        request,
        queryset,
        lambda slot: service(slot=slot),
        noun="slot",
        done=done,
        name=lambda slot: f"{slot.start:%Y-%m-%d %H:%M} UTC",
    )


@admin.action(description="Block selected slots")
def block_slots(modeladmin, request, queryset):
    _apply(modeladmin, request, queryset, slot_block, "blocked")


@admin.action(description="Unblock selected slots")
def unblock_slots(modeladmin, request, queryset):
    _apply(modeladmin, request, queryset, slot_unblock, "unblocked")


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ("start", "end", "staff_member", "salon", "status", "block_reason")
    list_filter = ("status", "salon", ("start", admin.DateFieldListFilter), "staff_member")
    date_hierarchy = "start"
    search_fields = ("staff_member__name",)
    actions = [block_slots, unblock_slots]
    list_select_related = ("staff_member", "salon")
    readonly_fields = ("salon", "staff_member", "start", "end", "status", "block_reason")

    # Slots come from working hours; they change only through their services.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
