"""Reminders become one kind of message in a general outbox.

The reminder rows are kept: the table is renamed, each row gets its salon,
its recipient (the customer) and its expiry (the appointment's start), and
its kind ``24h`` becomes ``reminder_24h``.
"""

import django.db.models.deletion
from django.db import migrations, models


def reminders_to_messages(apps, schema_editor):
    Message = apps.get_model("bookings", "Message")
    for message in Message.objects.select_related("booking").iterator():
        booking = message.booking
        message.salon_id = booking.salon_id
        message.to = booking.customer_phone
        message.expires_at = booking.start
        if not message.kind.startswith("reminder_"):
            message.kind = f"reminder_{message.kind}"
        message.save(update_fields=["salon", "to", "expires_at", "kind"])


def messages_to_reminders(apps, schema_editor):
    Message = apps.get_model("bookings", "Message")
    Message.objects.exclude(kind__startswith="reminder_").delete()
    for message in Message.objects.all().iterator():
        message.kind = message.kind.removeprefix("reminder_")
        message.save(update_fields=["kind"])


class Migration(migrations.Migration):

    dependencies = [
        ("bookings", "0004_series_and_customer_notes"),
        ("salons", "0004_owner_rules_language_calendar_closures"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="reminder", name="reminder_live_once_per_kind"),
        migrations.RenameModel(old_name="Reminder", new_name="Message"),
        migrations.RenameIndex(model_name="message", new_name="message_status_due", old_name="reminder_status_due"),
        migrations.RenameIndex(model_name="message", new_name="message_status_next", old_name="reminder_status_next"),
        migrations.AlterModelOptions(name="message", options={"ordering": ["due_at", "id"]}),
        migrations.AlterField(
            model_name="message",
            name="booking",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                related_name="messages", to="bookings.booking",
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="kind",
            field=models.CharField(help_text="What the message says; reminders are reminder_<offset>", max_length=32),
        ),
        migrations.AddField(
            model_name="message",
            name="salon",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="messages", to="salons.salon"
            ),
        ),
        migrations.AddField(
            model_name="message",
            name="to",
            field=models.CharField(
                default="", help_text="E.164: the customer's or the salon's WhatsApp number", max_length=20
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="message",
            name="parameters",
            field=models.JSONField(blank=True, default=dict, help_text="What the text is rendered from"),
        ),
        migrations.AddField(
            model_name="message",
            name="expires_at",
            field=models.DateTimeField(blank=True, help_text="Not sent after this: it would be moot", null=True),
        ),
        migrations.AddField(
            model_name="message",
            name="delivery_status",
            field=models.CharField(
                blank=True,
                choices=[("", "Not reported"), ("sent", "Sent"), ("delivered", "Delivered"), ("read", "Read"),
                         ("failed", "Failed")],
                default="",
                max_length=10,
            ),
        ),
        migrations.AddField(model_name="message", name="delivered_at", field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(model_name="message", name="read_at", field=models.DateTimeField(blank=True, null=True)),
        migrations.RunPython(reminders_to_messages, messages_to_reminders, elidable=False),
        migrations.AlterField(
            model_name="message",
            name="salon",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="messages", to="salons.salon"
            ),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["provider_message_id"], name="message_provider_id"),
        ),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind__startswith", "reminder_"), ("status__in", ["scheduled", "queued", "sending"])),
                fields=("booking", "kind"),
                name="message_live_reminder_once_per_kind",
            ),
        ),
        migrations.CreateModel(
            name="InboundReply",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("provider_message_id", models.CharField(max_length=200, unique=True)),
                ("from_phone", models.CharField(help_text="E.164", max_length=20)),
                ("text", models.TextField(blank=True)),
                (
                    "outcome",
                    models.CharField(
                        choices=[("stored", "Shown to staff"), ("cancelled", "Cancelled the booking"),
                                 ("refused", "Cancellation refused")],
                        default="stored",
                        max_length=10,
                    ),
                ),
                ("received_at", models.DateTimeField()),
                (
                    "booking",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                        related_name="replies", to="bookings.booking",
                    ),
                ),
                (
                    "in_reply_to",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                        related_name="replies", to="bookings.message",
                    ),
                ),
            ],
            options={"verbose_name_plural": "inbound replies", "ordering": ["received_at", "id"]},
        ),
    ]
