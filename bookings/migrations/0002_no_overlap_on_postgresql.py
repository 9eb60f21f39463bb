"""On PostgreSQL, no two active bookings of one staff member may overlap.

The one-holder-per-slot unique key already guards every database; this adds a
time-range guard that holds even if slots were ever mis-generated. An
exclusion constraint needs btree_gist and does not exist on SQLite, so it is
created only on PostgreSQL.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE bookings_booking ADD CONSTRAINT booking_no_overlap_per_staff
    EXCLUDE USING gist (
        staff_member_id WITH =,
        tstzrange(start, held_until, '[)') WITH &&
    ) WHERE (status IN ('pending', 'confirmed'));
"""

DROP = "ALTER TABLE bookings_booking DROP CONSTRAINT IF EXISTS booking_no_overlap_per_staff;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
