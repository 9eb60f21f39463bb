"""One live booking per phone and start at a salon: a partial unique key
(pending and confirmed bookings only), on SQLite and PostgreSQL alike.

A database that already holds such twins (double submits from before this
rule) cannot take the key. Rather than cancel a customer's booking behind the
salon's back, the migration stops and names the bookings, so staff can cancel
the extra one of each pair from the booking page and migrate again.
"""

from django.db import migrations, models
from django.db.models import Count


def refuse_existing_twins(apps, schema_editor):
    Booking = apps.get_model("bookings", "Booking")
    live = Booking.objects.filter(status__in=["pending", "confirmed"])
    twins = (
        live.values("salon_id", "customer_phone", "start").annotate(n=Count("id")).filter(n__gt=1).order_by()
    )
    references = []
    for twin in twins[:20]:
        references += live.filter(
            salon_id=twin["salon_id"], customer_phone=twin["customer_phone"], start=twin["start"]
        ).values_list("reference", flat=True)
    if references:
        raise RuntimeError(
            "Some customers hold two live bookings at the same start (bookings "
            + ", ".join(sorted(references))
            + "). Cancel the extra one of each, then run the migration again."
        )


class Migration(migrations.Migration):

    dependencies = [
        ("bookings", "0011_visits"),
    ]

    operations = [
        migrations.RunPython(refuse_existing_twins, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="booking",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["pending", "confirmed"])),
                fields=("salon", "customer_phone", "start"),
                name="booking_one_live_per_phone_and_start",
            ),
        ),
    ]
