"""The outbox moves out of the bookings app with every row.

The tables stay where they are (``bookings_message``, ``bookings_inboundreply``,
``bookings_earlystatusreport``): this app first takes them over in its state
as they are, then changes them in place:

- a message's ``booking_id`` becomes its subject key ``"booking:<id>"``
  (indexed), and so does a reply's; a reply also gets its booking's salon;
- ``salon_id`` stays the same column, without the foreign key to salons: a
  plain indexed integer, the tenant;
- the "one live reminder per kind" constraint is on the subject instead of
  the booking.

Backwards, the subject keys become ``booking_id`` again and the foreign keys
come back; the bookings app's ``0010`` takes the models back into its state.
"""

import uuid

import django.db.models.deletion
from django.db import migrations, models

DELIVERY = [("", "Not reported"), ("sent", "Sent"), ("delivered", "Delivered"), ("read", "Read"), ("failed", "Failed")]
STATUS = [
    ("scheduled", "Scheduled"), ("queued", "Queued"), ("sending", "Sending"), ("sent", "Sent"),
    ("failed", "Failed"), ("cancelled", "Cancelled"), ("expired", "Expired"),
]
OUTCOME = [("stored", "Shown to staff"), ("cancelled", "Cancelled the booking"), ("refused", "Cancellation refused")]
LIVE_REMINDER = models.Q(("kind__startswith", "reminder_"), ("status__in", ["scheduled", "queued", "sending"]))


def booking_ids_to_subjects(apps, schema_editor):
    run = schema_editor.execute
    run(
        "UPDATE bookings_message SET subject = 'booking:' || CAST(booking_id AS varchar(20)) "
        "WHERE booking_id IS NOT NULL"
    )
    run(
        "UPDATE bookings_inboundreply SET subject = 'booking:' || CAST(booking_id AS varchar(20)), "
        "salon_id = (SELECT b.salon_id FROM bookings_booking b WHERE b.id = bookings_inboundreply.booking_id) "
        "WHERE booking_id IS NOT NULL"
    )


def subjects_to_booking_ids(apps, schema_editor):
    for table in ("bookings_message", "bookings_inboundreply"):
        schema_editor.execute(
            f"UPDATE {table} SET booking_id = CAST(SUBSTR(subject, 9) AS bigint) WHERE subject LIKE 'booking:%%'"
        )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("bookings", "0007_early_status_reports"),
        ("salons", "0004_owner_rules_language_calendar_closures"),
    ]

    operations = [
        # 1. The tables as the bookings app left them, now in this app's state.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Message",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(help_text="What the message says; reminders are reminder_<offset>", max_length=32)),
                        ("to", models.CharField(help_text="E.164: the customer's or the salon's WhatsApp number", max_length=20)),
                        ("parameters", models.JSONField(blank=True, default=dict, help_text="What the text is rendered from")),
                        ("due_at", models.DateTimeField()),
                        ("expires_at", models.DateTimeField(blank=True, help_text="Not sent after this: it would be moot", null=True)),
                        ("status", models.CharField(choices=STATUS, default="scheduled", max_length=12)),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                        ("last_error", models.TextField(blank=True)),
                        ("provider_message_id", models.CharField(blank=True, max_length=200)),
                        ("claim_token", models.UUIDField(blank=True, editable=False, null=True)),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("delivery_status", models.CharField(blank=True, choices=DELIVERY, default="", max_length=10)),
                        ("delivered_at", models.DateTimeField(blank=True, null=True)),
                        ("read_at", models.DateTimeField(blank=True, null=True)),
                        ("idempotency_key", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("salon", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="salons.salon")),
                        ("booking", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="bookings.booking")),
                    ],
                    options={
                        "db_table": "bookings_message",
                        "ordering": ["due_at", "id"],
                        "indexes": [
                            models.Index(fields=["status", "due_at"], name="message_status_due"),
                            models.Index(fields=["status", "next_attempt_at"], name="message_status_next"),
                            models.Index(fields=["provider_message_id"], name="message_provider_id"),
                        ],
                        "constraints": [
                            models.UniqueConstraint(condition=LIVE_REMINDER, fields=("booking", "kind"), name="message_live_reminder_once_per_kind"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="EarlyStatusReport",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("provider_message_id", models.CharField(db_index=True, max_length=200)),
                        ("status", models.CharField(choices=DELIVERY, max_length=10)),
                        ("reported_at", models.DateTimeField(help_text="The provider's time of the status")),
                        ("error", models.CharField(blank=True, max_length=300)),
                        ("received_at", models.DateTimeField()),
                    ],
                    options={"db_table": "bookings_earlystatusreport"},
                ),
                migrations.CreateModel(
                    name="InboundReply",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("provider_message_id", models.CharField(max_length=200, unique=True)),
                        ("from_phone", models.CharField(help_text="E.164", max_length=20)),
                        ("text", models.TextField(blank=True)),
                        ("outcome", models.CharField(choices=OUTCOME, default="stored", max_length=10)),
                        ("received_at", models.DateTimeField()),
                        ("booking", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="bookings.booking")),
                        ("in_reply_to", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="replies", to="messaging.message")),
                    ],
                    options={
                        "db_table": "bookings_inboundreply",
                        "ordering": ["received_at", "id"],
                        "verbose_name_plural": "inbound replies",
                    },
                ),
            ],
            database_operations=[],
        ),
        # 2. The subject keys, filled from the bookings.
        migrations.AddField(
            model_name="message",
            name="subject",
            field=models.CharField(blank=True, db_index=True, default="", help_text='What it is about: "booking:42", "waitlist_offer:7"', max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="inboundreply",
            name="subject",
            field=models.CharField(blank=True, db_index=True, default="", help_text="What the reply is about", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="inboundreply",
            name="salon_id",
            field=models.BigIntegerField(blank=True, db_index=True, help_text="The tenant, once known", null=True),
        ),
        migrations.RunPython(booking_ids_to_subjects, subjects_to_booking_ids, elidable=False),
        # 3. The booking keys go; the reminder rule holds per subject.
        migrations.RemoveConstraint(model_name="message", name="message_live_reminder_once_per_kind"),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.UniqueConstraint(condition=LIVE_REMINDER, fields=("subject", "kind"), name="message_live_reminder_once_per_kind"),
        ),
        migrations.RemoveField(model_name="message", name="booking"),
        migrations.RemoveField(model_name="inboundreply", name="booking"),
        # 4. The salon stays the same column, a plain integer: no foreign key into another app.
        migrations.AlterField(
            model_name="message",
            name="salon",
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="salons.salon"),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="message", name="salon"),
                migrations.AddField(
                    model_name="message",
                    name="salon_id",
                    field=models.BigIntegerField(db_index=True, default=0, help_text="The tenant: the salon the message is sent for"),
                    preserve_default=False,
                ),
            ],
            database_operations=[],
        ),
    ]
