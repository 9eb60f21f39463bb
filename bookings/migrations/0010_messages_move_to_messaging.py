"""The outbox's models now belong to the messaging app (its ``0001`` took over
the tables with every row): removed from this app's state only."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("bookings", "0009_waitlist_moves_to_its_own_app"),
        ("messaging", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="InboundReply"),
                migrations.DeleteModel(name="EarlyStatusReport"),
                migrations.DeleteModel(name="Message"),
            ],
            database_operations=[],
        ),
    ]
