from django.contrib import admin
from django.utils.html import format_html, format_html_join

from bookings.models import Booking, BookingStatusChange, IdempotencyKey
from bookings.selectors import booking_messages
from bookings.services import (
    Actor,
    booking_cancel,
    booking_complete,
    booking_confirm,
    booking_mark_no_show,
)
from salonbook.admin_actions import apply_to_each


class HistoryInline(admin.TabularInline):
    model = BookingStatusChange
    extra = 0
    can_delete = False
    fields = ("changed_at", "from_status", "to_status", "actor", "actor_user", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


def _move(modeladmin, request, queryset, service, done: str) -> None:
    """Run a booking service on each selected booking; refusals become messages."""
    apply_to_each(
        modeladmin,
        request,
        queryset,
        lambda booking: service(booking=booking, actor=Actor.staff(request.user)),
        noun="booking",
        done=done,
        name=lambda booking: booking.reference,
    )


@admin.action(description="Confirm selected bookings")
def confirm_bookings(modeladmin, request, queryset):
    _move(modeladmin, request, queryset, booking_confirm, "confirmed")


@admin.action(description="Cancel selected bookings")
def cancel_bookings(modeladmin, request, queryset):
    _move(modeladmin, request, queryset, booking_cancel, "cancelled")


@admin.action(description="Mark selected bookings completed")
def complete_bookings(modeladmin, request, queryset):
    _move(modeladmin, request, queryset, booking_complete, "completed")


@admin.action(description="Mark selected bookings as no-show")
def no_show_bookings(modeladmin, request, queryset):
    _move(modeladmin, request, queryset, booking_mark_no_show, "marked as no-show")


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ("reference", "start", "customer_name", "service", "staff_member", "salon", "status")
    list_filter = ("status", "salon", ("start", admin.DateFieldListFilter), "staff_member")
    date_hierarchy = "start"
    search_fields = ("reference", "customer_name", "customer_phone", "customer_email")
    list_select_related = ("service", "staff_member", "salon")
    actions = [confirm_bookings, cancel_bookings, complete_bookings, no_show_bookings]
    inlines = [HistoryInline]
    # The manage token is the customer's secret: it is never shown here.
    fields = (
        "reference",
        "status",
        "salon",
        "service",
        "staff_member",
        "start",
        "end",
        "held_until",
        "customer_name",
        "customer_phone",
        "customer_email",
        "created_at",
        "updated_at",
        "messages_sent",
    )
    readonly_fields = fields

    @admin.display(description="Messages")
    def messages_sent(self, booking: Booking) -> str:
        """The booking's outbox rows (the outbox keeps them by subject, not by a key to the booking)."""
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (m.kind_label, m.to, m.due_at, m.status, m.attempts, m.delivery_status or "-")
                for m in booking_messages(booking=booking)
            ),
        )
        return format_html("<table>{}</table>", rows) if rows else "-"

    # Bookings are made and changed through their services; nothing is deleted.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ("scope", "key", "response_status", "created_at")
    search_fields = ("key",)
    readonly_fields = [f.name for f in IdempotencyKey._meta.fields]

    def has_add_permission(self, request):
        return False
