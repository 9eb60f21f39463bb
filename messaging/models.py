"""The outbox and what the provider tells us back.

The tables are the ones the bookings app created (``bookings_message``,
``bookings_earlystatusreport``, ``bookings_inboundreply``): the move to this
app kept every row. A row refers to what it is about by a subject key
(``messaging.subjects``) and to its tenant by ``salon_id``, a plain indexed
integer: the outbox knows no other app's tables.

Replies live here rather than in bookings: receiving a reply once per
provider id, with the message it answers, is the webhook's work, and what a
reply means is the registered reply handler's; the reply row keeps what the
handler found it was about (its subject) for staff to read there.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models

from messaging.kinds import REMINDER_PREFIX
from messaging.kinds import Kind as MessageKind


class MessageQuerySet(models.QuerySet["Message"]):
    def about(self, subject: str) -> MessageQuerySet:
        return self.filter(subject=subject)

    def reminders(self) -> MessageQuerySet:
        return self.filter(kind__startswith=REMINDER_PREFIX)


class Message(models.Model):
    """An outbox row: one WhatsApp message to one person, written in the same
    transaction as the change that owes it, sent by the dispatcher."""

    Kind: ClassVar[type[MessageKind]] = MessageKind

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    class Delivery(models.TextChoices):
        """What the provider's webhook last said about a sent message."""

        NONE = "", "Not reported"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        READ = "read", "Read"
        FAILED = "failed", "Failed"

    salon_id = models.BigIntegerField(db_index=True, help_text="The tenant: the salon the message is sent for")
    subject = models.CharField(
        max_length=64, blank=True, db_index=True, help_text='What it is about: "booking:42", "waitlist_offer:7"'
    )
    kind = models.CharField(max_length=32, help_text="What the message says; reminders are reminder_<offset>")
    to = models.CharField(max_length=20, help_text="E.164: the customer's or the salon's WhatsApp number")
    parameters = models.JSONField(default=dict, blank=True, help_text="What the text is rendered from")
    due_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Not sent after this: it would be moot")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivery_status = models.CharField(max_length=10, choices=Delivery.choices, default="", blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        db_table = "bookings_message"
        ordering = ["due_at", "id"]
        constraints = [
            # One live reminder per kind and subject; a move cancels the live ones
            # and schedules new ones for the new time, keeping the old rows as history.
            models.UniqueConstraint(
                fields=["subject", "kind"],
                condition=models.Q(status__in=["scheduled", "queued", "sending"], kind__startswith=REMINDER_PREFIX),
                name="message_live_reminder_once_per_kind",
            )
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="message_status_due"),
            models.Index(fields=["status", "next_attempt_at"], name="message_status_next"),
            models.Index(fields=["provider_message_id"], name="message_provider_id"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} message {self.pk} ({self.status})"

    @property
    def kind_enum(self) -> MessageKind:
        return MessageKind(self.kind)

    @property
    def is_reminder(self) -> bool:
        return self.kind_enum.is_reminder

    @property
    def kind_label(self) -> str:
        """"Booking confirmed", "Reminder 90m before" (offsets are a setting)."""
        try:
            return str(self.kind_enum.label)
        except ValueError:
            return self.kind

    @property
    def delivery_failed(self) -> bool:
        return self.status == self.Status.FAILED or self.delivery_status == self.Delivery.FAILED


class EarlyStatusReport(models.Model):
    """A delivery status the webhook brought before its message had the
    provider's id stored: the provider can report a send faster than the
    sender records its answer. Applied and deleted once the id is stored;
    forgotten after a day (then the id was never one of ours)."""

    provider_message_id = models.CharField(max_length=200, db_index=True)
    status = models.CharField(max_length=10, choices=Message.Delivery.choices)
    reported_at = models.DateTimeField(help_text="The provider's time of the status")
    error = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        db_table = "bookings_earlystatusreport"

    def __str__(self) -> str:
        return f"early {self.status} report {self.pk}"


class InboundReply(models.Model):
    """A customer's WhatsApp message to the salon, as the webhook received it,
    with what it turned out to be about (the registered reply handler says)."""

    class Outcome(models.TextChoices):
        STORED = "stored", "Shown to staff"
        CANCELLED = "cancelled", "Cancelled the booking"
        REFUSED = "refused", "Cancellation refused"

    provider_message_id = models.CharField(max_length=200, unique=True)  # a replayed webhook is recognised
    from_phone = models.CharField(max_length=20, help_text="E.164")
    text = models.TextField(blank=True)
    in_reply_to = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    salon_id = models.BigIntegerField(null=True, blank=True, db_index=True, help_text="The tenant, once known")
    subject = models.CharField(max_length=64, blank=True, db_index=True, help_text="What the reply is about")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.STORED)
    received_at = models.DateTimeField()

    class Meta:
        db_table = "bookings_inboundreply"
        ordering = ["received_at", "id"]
        verbose_name_plural = "inbound replies"

    def __str__(self) -> str:
        return f"reply {self.pk} ({self.outcome})"
