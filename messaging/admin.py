from django.contrib import admin, messages

from messaging.models import InboundReply, Message
from messaging.outbox import message_retry_now


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
    list_display = ("subject", "kind", "due_at", "status", "attempts", "sent_at", "delivery_status", "last_error")
    list_filter = ("status", "kind", "delivery_status", ("due_at", admin.DateFieldListFilter))
    search_fields = ("=subject", "provider_message_id")
    readonly_fields = [f.name for f in Message._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InboundReply)
class InboundReplyAdmin(admin.ModelAdmin):
    list_display = ("received_at", "subject", "outcome", "text")
    list_filter = ("outcome",)
    search_fields = ("=subject", "provider_message_id")
    readonly_fields = [f.name for f in InboundReply._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


