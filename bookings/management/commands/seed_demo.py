"""Create the demo salon, its people and a few bookings. Safe to run again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from bookings.models import Booking
from bookings.services import Actor, BookingRequest, Customer, booking_create
from salonbook.errors import DomainError
from salons.models import DayOff, Salon, Service, StaffMember, WorkingHours
from salons.services import business_info_save
from slots.models import Slot
from slots.selectors import availability_for_day
from slots.services import slots_generate

DEFAULT_PASSWORD = "salonbook-demo"

SERVICES = [
    # name, minutes, buffer, price
    ("Cut & Finish", 45, 15, "42.00"),
    ("Colour", 90, 15, "85.00"),
    ("Beard Trim", 15, 0, "15.00"),
    ("Blow Dry", 30, 0, "28.00"),
]

STAFF = [
    # name, services, weekdays, opens, closes, break
    ("Alice Martin", ["Cut & Finish", "Colour", "Beard Trim", "Blow Dry"], range(0, 6), "09:00", "18:00", ("13:00", "14:00")),
    ("Ben Okafor", ["Cut & Finish", "Beard Trim", "Blow Dry"], range(1, 6), "10:00", "19:00", ("14:00", "14:30")),
    ("Chloe Dubois", ["Colour", "Cut & Finish", "Blow Dry"], range(0, 5), "09:00", "17:00", ("12:30", "13:30")),
]

CUSTOMERS = [("Maya Patel", "+447911123401"), ("Tom Hughes", "+447911123402"), ("Zoë Brontë", "+447911123403")]


def _time(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


class Command(BaseCommand):
    help = "Create the demo salon (slug 'demo'), users 'admin', 'owner' and 'staff', slots and sample bookings."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Password for 'admin', 'owner' and 'staff'")

    def handle(self, *args, password: str, **options):
        with transaction.atomic():
            salon = self._salon()
            services = self._services(salon)
            staff = self._staff(salon, services)
            self._users(staff, password)
        slots_generate(salon=salon)
        made = self._sample_bookings(salon, services, staff)
        upcoming = Slot.objects.filter(salon=salon, start__gt=timezone.now()).count()
        self.stdout.write(self.style.SUCCESS("Demo salon ready: slug 'demo'"))
        self.stdout.write(f"  upcoming slots: {upcoming}, sample bookings created: {made}")
        self.stdout.write(
            f"  users: admin / {password} (everything), owner / {password} (runs the demo salon), "
            f"staff / {password} (a stylist there)"
        )

    def _salon(self) -> Salon:
        salon = Salon.objects.filter(slug="demo").first() or Salon(slug="demo")
        salon.name = "Demo Hair Studio"
        salon.timezone = "Europe/London"
        salon.whatsapp_phone = "+447911123000"
        salon.address = "1 High Street, London"
        salon.slot_minutes = 15
        salon.booking_window_days = 28
        salon.cancellation_cutoff_hours = 2
        salon.auto_confirm = True
        return business_info_save(instance=salon)

    def _services(self, salon: Salon) -> dict[str, Service]:
        services = {}
        for name, minutes, buffer, price in SERVICES:
            service = Service.objects.filter(salon=salon, name=name).first() or Service(salon=salon, name=name)
            service.duration_minutes, service.buffer_minutes, service.price = minutes, buffer, Decimal(price)
            service.is_active = True
            services[name] = business_info_save(instance=service)
        return services

    def _staff(self, salon: Salon, services: dict[str, Service]) -> list[StaffMember]:
        members = []
        for name, does, weekdays, opens, closes, (break_start, break_end) in STAFF:
            member = StaffMember.objects.filter(salon=salon, name=name).first() or StaffMember(salon=salon, name=name)
            member.is_active = True
            business_info_save(instance=member)
            member.services.set([services[s] for s in does])
            for weekday in weekdays:
                hours = WorkingHours.objects.filter(staff_member=member, weekday=weekday).first() or WorkingHours(
                    staff_member=member, weekday=weekday
                )
                hours.start_time, hours.end_time = _time(opens), _time(closes)
                hours.break_start, hours.break_end = _time(break_start), _time(break_end)
                business_info_save(instance=hours)
            members.append(member)
        # One planned day off, so the agenda shows what that looks like.
        next_week = timezone.localdate() + dt.timedelta(days=7)
        if next_week.weekday() in STAFF[1][2] and not DayOff.objects.filter(staff_member=members[1]).exists():
            business_info_save(instance=DayOff(staff_member=members[1], date=next_week, reason="Training"))
        return members

    def _users(self, staff: list[StaffMember], password: str) -> None:
        User = get_user_model()
        admin = User.objects.filter(username="admin").first() or User(username="admin", email="admin@example.com")
        admin.is_staff = admin.is_superuser = admin.is_active = True
        admin.set_password(password)
        admin.save()
        # A stylist's login, and the owner's: a stylist who also runs the salon.
        self._login("staff", staff[0], StaffMember.Role.STYLIST, password)
        self._login("owner", staff[2], StaffMember.Role.OWNER, password)

    def _login(self, username: str, staff_member: StaffMember, role: str, password: str) -> None:
        User = get_user_model()
        user = User.objects.filter(username=username).first() or User(username=username, email=f"{username}@example.com")
        user.is_active, user.is_staff, user.is_superuser = True, False, False
        user.first_name = staff_member.name.split()[0]
        user.set_password(password)
        user.save()
        if staff_member.user_id != user.pk or staff_member.role != role:
            StaffMember.objects.filter(user=user).exclude(pk=staff_member.pk).update(user=None)
            staff_member.user = user
            staff_member.role = role
            business_info_save(instance=staff_member)

    def _sample_bookings(self, salon: Salon, services: dict[str, Service], staff: list[StaffMember]) -> int:
        if Booking.objects.filter(salon=salon).exists():
            return 0
        made = 0
        today = timezone.localdate(timezone=salon.tz)
        for offset, (name, phone) in enumerate(CUSTOMERS):
            service = list(services.values())[offset % len(services)]
            for day in (today + dt.timedelta(days=d) for d in range(0, 7)):
                free = availability_for_day(salon=salon, day=day, service=service)
                if not free:
                    continue
                choice = free[min(len(free) - 1, 2 + offset * 5)]
                member = next(m for m in staff if m.pk == choice.staff_member_id)
                try:
                    booking_create(
                        request=BookingRequest(
                            salon=salon,
                            service=service,
                            staff_member=member,
                            start=choice.start,
                            customer=Customer(name, phone),
                        ),
                        actor=Actor.system(),
                    )
                    made += 1
                except DomainError:
                    continue
                break
        return made
