"""One table of holds: every claim on a slot, a booking's or a waitlist
offer's, becomes a ``Hold`` row with a unique key on the slot. The rows of
bookings' BookingSlot and the waitlist's WaitlistHold are copied here (and back
on the way down); bookings 0008 then drops those two tables."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def copy_holds(apps, schema_editor):
    Hold = apps.get_model("slots", "Hold")
    BookingSlot = apps.get_model("bookings", "BookingSlot")
    WaitlistHold = apps.get_model("bookings", "WaitlistHold")
    rows = [
        Hold(salon_id=salon_id, slot_id=slot_id, kind="booking", holder_id=booking_id)
        for slot_id, salon_id, booking_id in BookingSlot.objects.values_list("slot_id", "slot__salon_id", "booking_id")
    ]
    rows += [
        Hold(salon_id=salon_id, slot_id=slot_id, kind="offer", holder_id=offer_id)
        for slot_id, salon_id, offer_id in WaitlistHold.objects.values_list("slot_id", "slot__salon_id", "offer_id")
    ]
    Hold.objects.bulk_create(rows, batch_size=5000)


def copy_holds_back(apps, schema_editor):
    Hold = apps.get_model("slots", "Hold")
    BookingSlot = apps.get_model("bookings", "BookingSlot")
    WaitlistHold = apps.get_model("bookings", "WaitlistHold")
    holds = Hold.objects.values_list("slot_id", "kind", "holder_id")
    BookingSlot.objects.bulk_create(
        [BookingSlot(slot_id=slot_id, booking_id=holder_id) for slot_id, kind, holder_id in holds if kind == "booking"],
        batch_size=5000,
    )
    WaitlistHold.objects.bulk_create(
        [WaitlistHold(slot_id=slot_id, offer_id=holder_id) for slot_id, kind, holder_id in holds if kind == "offer"],
        batch_size=5000,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('salons', '0007_ordering_by_ids'),
        ('slots', '0002_slot_held_for_waitlist'),
        ('bookings', '0007_early_status_reports'),
    ]

    operations = [
        migrations.CreateModel(
            name='Hold',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('booking', 'Booking'), ('offer', 'Waitlist offer')], max_length=10)),
                ('holder_id', models.PositiveBigIntegerField()),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('salon', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='salons.salon')),
                ('slot', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='hold', to='slots.slot')),
            ],
            options={
                'indexes': [models.Index(fields=['kind', 'holder_id'], name='hold_holder')],
            },
        ),
        migrations.RunPython(copy_holds, copy_holds_back, elidable=False),
    ]
