import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from bookings.models import Booking
from salons.models import Salon, Service, StaffMember
from slots.models import Slot

pytestmark = pytest.mark.django_db(transaction=True)


def _counts():
    return (
        Salon.objects.count(),
        Service.objects.count(),
        StaffMember.objects.count(),
        Slot.objects.count(),
        Booking.objects.count(),
        get_user_model().objects.count(),
    )


def test_seed_demo_twice_creates_the_demo_once():
    call_command("seed_demo", "--password", "first-password-1")
    first = _counts()
    call_command("seed_demo", "--password", "second-password-2")
    assert _counts() == first

    salon = Salon.objects.get(slug="demo")
    assert salon.timezone == "Europe/London"
    assert len({s.duration_minutes for s in salon.services.all()}) >= 3
    assert salon.staff.count() >= 3
    assert all(member.working_hours.exists() for member in salon.staff.all())
    days_with_slots = {s.start.date() for s in Slot.objects.filter(salon=salon)}
    assert len(days_with_slots) >= 14
    assert Booking.objects.filter(salon=salon).exists()

    User = get_user_model()
    admin, staff = User.objects.get(username="admin"), User.objects.get(username="staff")
    assert admin.is_superuser and admin.check_password("second-password-2")
    assert staff.staff_member.salon == salon and staff.check_password("second-password-2")
    assert not staff.is_superuser
    owner = User.objects.get(username="owner")
    assert owner.check_password("second-password-2") and not owner.is_superuser
    assert owner.staff_member.salon == salon and owner.staff_member.role == StaffMember.Role.OWNER
    assert staff.staff_member.role == StaffMember.Role.STYLIST


def test_seed_demo_gives_the_demo_salon_eight_weeks_behind_it_and_the_weeks_ahead():
    import datetime as dt

    from django.utils import timezone

    call_command("seed_demo", "--password", "first-password-1")
    salon = Salon.objects.get(slug="demo")
    now = timezone.now()
    past = Booking.objects.filter(salon=salon, start__lt=now)
    statuses = {status: past.filter(status=status).count() for status in ("completed", "no_show", "cancelled")}
    assert statuses["completed"] > 100
    assert 0 < statuses["no_show"] < statuses["completed"] / 5
    assert 0 < statuses["cancelled"] < statuses["completed"] / 5
    oldest = past.order_by("start").first().start
    assert (now - oldest).days >= 7 * 8 - 1
    ahead = Booking.objects.filter(salon=salon, start__gt=now, status="confirmed")
    assert ahead.filter(start__gt=now + dt.timedelta(days=14)).exists()
    assert ahead.count() >= 30
