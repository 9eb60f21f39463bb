"""BookingSlot and WaitlistHold give way to ``slots.Hold`` (slots 0003 copied
their rows there first)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0007_early_status_reports'),
        ('slots', '0003_holds'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='booking',
            name='slots',
        ),
        migrations.RemoveField(
            model_name='waitlisthold',
            name='offer',
        ),
        migrations.RemoveField(
            model_name='waitlisthold',
            name='slot',
        ),
        migrations.DeleteModel(
            name='BookingSlot',
        ),
        migrations.DeleteModel(
            name='WaitlistHold',
        ),
    ]
