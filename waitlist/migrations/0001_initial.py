"""The waitlist's tables, renamed into this app by bookings 0009: the state
is created here, the database is left as it is."""

import bookings.models
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('bookings', '0009_waitlist_moves_to_its_own_app'),
        ('salons', '0007_ordering_by_ids'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='WaitlistEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reference', models.CharField(default=bookings.models.new_reference, editable=False, max_length=32, unique=True)),
                        ('manage_token', models.CharField(default=bookings.models.new_manage_token, editable=False, max_length=64)),
                        ('date_from', models.DateField(help_text='Salon-local, inclusive')),
                        ('date_to', models.DateField(help_text='Salon-local, inclusive')),
                        ('earliest', models.TimeField(blank=True, help_text='Salon-local: no start before', null=True)),
                        ('latest', models.TimeField(blank=True, help_text='Salon-local: no start after', null=True)),
                        ('customer_name', models.CharField(max_length=120)),
                        ('customer_phone', models.CharField(help_text='E.164', max_length=20)),
                        ('status', models.CharField(choices=[('waiting', 'Waiting'), ('offered', 'Offered a time'), ('booked', 'Booked'), ('left', 'Left'), ('closed', 'Closed (dates passed)')], default='waiting', max_length=10)),
                        ('joined_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('booking', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='bookings.booking')),
                        ('salon', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='waitlist', to='salons.salon')),
                        ('service', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='salons.service')),
                        ('staff_member', models.ForeignKey(blank=True, help_text='Empty: anyone', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='salons.staffmember')),
                    ],
                    options={
                        'verbose_name_plural': 'waitlist entries',
                        'ordering': ['joined_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='WaitlistOffer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('start', models.DateTimeField()),
                        ('expires_at', models.DateTimeField()),
                        ('status', models.CharField(choices=[('live', 'Live'), ('claimed', 'Claimed'), ('declined', 'Declined'), ('expired', 'Expired'), ('withdrawn', 'Withdrawn by staff'), ('cancelled', 'Cancelled (customer left)')], default='live', max_length=10)),
                        ('by_hand', models.BooleanField(default=False, help_text='Offered by staff rather than by the matcher')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('booking', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='bookings.booking')),
                        ('entry', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='offers', to='waitlist.waitlistentry')),
                        ('salon', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='salons.salon')),
                        ('staff_member', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='salons.staffmember')),
                    ],
                    options={
                        'ordering': ['created_at', 'id'],
                    },
                ),
                migrations.AddIndex(
                    model_name='waitlistentry',
                    index=models.Index(fields=['salon', 'status', 'joined_at'], name='waitlist_salon_status'),
                ),
                migrations.AddConstraint(
                    model_name='waitlistentry',
                    constraint=models.CheckConstraint(condition=models.Q(('date_from__lte', models.F('date_to'))), name='waitlist_dates_in_order'),
                ),
                migrations.AddIndex(
                    model_name='waitlistoffer',
                    index=models.Index(fields=['status', 'expires_at'], name='waitlist_offer_status_expiry'),
                ),
                migrations.AddConstraint(
                    model_name='waitlistoffer',
                    constraint=models.UniqueConstraint(condition=models.Q(('status', 'live')), fields=('entry',), name='waitlist_one_live_offer_per_entry'),
                ),
            ],
        ),
    ]
