import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from salons.models import Salon, Service, StaffMember, WorkingHours


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pass-word-123")


class SalonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Salon

    name = factory.Sequence(lambda n: f"Salon {n}")
    slug = factory.Sequence(lambda n: f"salon-{n}")
    timezone = "Europe/London"
    whatsapp_phone = "+447911123000"
    slot_minutes = 15
    booking_window_days = 30
    cancellation_cutoff_hours = 24
    auto_confirm = True
    # Most tests book many times for one phone number; the tests of the
    # per-phone limit set the salon's own.
    online_bookings_per_phone = 100


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    salon = factory.SubFactory(SalonFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    duration_minutes = 30
    buffer_minutes = 0
    price = Decimal("30.00")


class StaffMemberFactory(factory.django.DjangoModelFactory):
    """A staff member doing ``services``, working all day every day unless
    ``hours=(opens, closes)`` says otherwise: tests then do not depend on the
    hour they run at."""

    class Meta:
        model = StaffMember
        skip_postgeneration_save = True

    salon = factory.SubFactory(SalonFactory)
    name = factory.Sequence(lambda n: f"Staff {n}")

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.set(extracted)

    @factory.post_generation
    def hours(self, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        opens, closes = extracted or (dt.time(0), dt.time(23, 59))
        for weekday in range(7):
            WorkingHours.objects.create(staff_member=self, weekday=weekday, start_time=opens, end_time=closes)
