"""The waitlist becomes an app of its own above bookings. Its two tables are
renamed to the new app's names here (no row is copied or lost), and leave
this app's state; waitlist 0001 takes them into its own."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0008_one_table_of_holds'),
    ]

    operations = [
        migrations.AlterModelTable(name='waitlistentry', table='waitlist_waitlistentry'),
        migrations.AlterModelTable(name='waitlistoffer', table='waitlist_waitlistoffer'),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='WaitlistOffer'),
                migrations.DeleteModel(name='WaitlistEntry'),
            ],
        ),
    ]
