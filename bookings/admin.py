from django.contrib import admin, messages

from bookings.messages.scheduling import message_retry_now
from bookings.models import Booking, BookingStatusChange, IdempotencyKey, InboundReply, Message
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


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ("kind", "to", "due_at", "status", "attempts", "sent_at", "delivery_status", "last_error")
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
    inlines = [HistoryInline, MessageInline]
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
    )
    readonly_fields = fields

    # Bookings are made and changed through their services; nothing is deleted.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.action(description="Retry now")
def retry_messages_now(modeladmin, request, queryset):
    """Send failed (or waiting) messages again now, through the outbox's service."""
    selected = list(queryset)
    retried = sum(message_retry_now(message=message) for message in selected)
    skipped = len(selected) - retried
    if retried:
        modeladmin.message_user(request, f"{retried} message(s) will be sent now.", messages.SUCCESS)
    if skipped:
        modeladmin.message_user(
            request,
            f"{skipped} message(s) left alone: already sent, cancelled, in flight, or no longer true.",
            messages.WARNING,
        )


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    actions = [retry_messages_now]
    list_display = ("booking", "kind", "due_at", "status", "attempts", "sent_at", "delivery_status", "last_error")
    list_filter = ("status", "kind", "delivery_status", ("due_at", admin.DateFieldListFilter))
    search_fields = ("booking__reference", "provider_message_id")
    list_select_related = ("booking",)
    readonly_fields = [f.name for f in Message._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InboundReply)
class InboundReplyAdmin(admin.ModelAdmin):
    list_display = ("received_at", "booking", "outcome", "text")
    list_filter = ("outcome",)
    search_fields = ("booking__reference", "provider_message_id")
    list_select_related = ("booking",)
    readonly_fields = [f.name for f in InboundReply._meta.fields]

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
