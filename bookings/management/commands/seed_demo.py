"""Create the demo salon, its people and a few bookings. Safe to run again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from bookings.models import Booking
from bookings.services import (
    Actor,
    BookingRequest,
    Customer,
    booking_cancel,
    booking_complete,
    booking_create,
    booking_create_unannounced,
    booking_mark_no_show,
)
from resources.models import Resource
from resources.services import resource_save
from salonbook.errors import DomainError
from salons.models import DayOff, Salon, Service, StaffMember, WorkingHours
from salons.services import business_info_save
from slots.availability import availability_for_day
from slots.models import Slot
from slots.services import slots_generate

DEFAULT_PASSWORD = "salonbook-demo"

SERVICES = [
    # name, minutes, buffer, price, (work before processing, processing minutes)
    ("Cut & Finish", 45, 15, "42.00", (0, 0)),
    # 30 minutes of work, 30 developing (the stylist is free), 30 of work.
    ("Colour", 90, 15, "85.00", (30, 30)),
    ("Beard Trim", 15, 0, "15.00", (0, 0)),
    ("Blow Dry", 30, 0, "28.00", (0, 0)),
]

# name, quantity, the services that need one for their whole time
RESOURCES = [("Colour station", 1, ["Colour"])]

STAFF = [
    # name, services, weekdays, opens, closes, break
    ("Alice Martin", ["Cut & Finish", "Colour", "Beard Trim", "Blow Dry"], range(0, 6), "09:00", "18:00", ("13:00", "14:00")),
    ("Ben Okafor", ["Cut & Finish", "Beard Trim", "Blow Dry"], range(1, 6), "10:00", "19:00", ("14:00", "14:30")),
    ("Chloe Dubois", ["Colour", "Cut & Finish", "Blow Dry"], range(0, 5), "09:00", "17:00", ("12:30", "13:30")),
]

CUSTOMERS = [("Maya Patel", "+447911123401"), ("Tom Hughes", "+447911123402"), ("Zoë Brontë", "+447911123403")]

# The salon's regulars, for the weeks behind and ahead.
REGULARS = [
    (name, f"+4479111235{n:02d}")
    for n, name in enumerate(
        [
            "Amelia Clarke", "Oliver Bennett", "Isla Murphy", "Jack Turner", "Sofia García", "Harry Evans",
            "Lucía Fernández", "Noah Walsh", "Grace Kelly", "Leo Nowak", "Freya Hall", "Arjun Shah",
            "Emily Wright", "Mateo López", "Ruby Green", "Samir Haddad", "Chloe Price", "Daniel Kim",
        ]
    )
]
HISTORY_WEEKS = 8
AHEAD_DAYS = 21


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
            self._resources(salon, services)
            staff = self._staff(salon, services)
            self._users(staff, password)
        past = self._history(salon, services, staff)
        slots_generate(salon=salon)
        made = self._sample_bookings(salon, services, staff)
        ahead = self._coming_weeks(salon, services, staff)
        upcoming = Slot.objects.filter(salon=salon, start__gt=timezone.now()).count()
        self.stdout.write(self.style.SUCCESS("Demo salon ready: slug 'demo'"))
        self.stdout.write(
            f"  upcoming slots: {upcoming}, sample bookings created: {made}, "
            f"past bookings created: {past}, coming bookings created: {ahead}"
        )
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
        for name, minutes, buffer, price, (before, processing) in SERVICES:
            service = Service.objects.filter(salon=salon, name=name).first() or Service(salon=salon, name=name)
            service.duration_minutes, service.buffer_minutes, service.price = minutes, buffer, Decimal(price)
            service.processing_after_minutes, service.processing_minutes = before, processing
            service.is_active = True
            services[name] = business_info_save(instance=service)
        return services

    def _resources(self, salon: Salon, services: dict[str, Service]) -> None:
        for name, quantity, needed_by in RESOURCES:
            resource = Resource.objects.filter(salon=salon, name=name).first() or Resource(salon=salon, name=name)
            resource.quantity, resource.is_active = quantity, True
            resource_save(resource=resource, services=[services[s] for s in needed_by])

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

    def _book_day(
        self,
        salon: Salon,
        services: dict[str, Service],
        staff: list[StaffMember],
        day: dt.date,
        *,
        count: int,
        seed: int,
        now: dt.datetime,
    ) -> list[Booking]:
        """Up to ``count`` bookings spread over ``day``, as booked at ``now``
        (at the desk or on the phone: no message is sent for them)."""
        made: list[Booking] = []
        names = list(services)
        for i in range(count):
            service = services[names[(seed + i) % len(names)]]
            free = availability_for_day(salon=salon, day=day, service=service, now=now)
            if not free:
                continue
            choice = free[((seed * 7 + i * 11) % 5 + i * len(free) // max(count, 1)) % len(free)]
            name, phone = REGULARS[(seed * 5 + i) % len(REGULARS)]
            member = next(m for m in staff if m.pk == choice.staff_member_id)
            try:
                made.append(
                    booking_create_unannounced(
                        request=BookingRequest(
                            salon=salon,
                            service=service,
                            staff_member=member,
                            start=choice.start,
                            customer=Customer(name, phone),
                        ),
                        actor=Actor.system(),
                        now=now,
                    )
                )
            except DomainError:
                continue
        return made

    def _history(self, salon: Salon, services: dict[str, Service], staff: list[StaffMember]) -> int:
        """Eight weeks of past bookings, most completed, a few no-shows and
        cancellations, so reports, the customer directory and the agenda's
        past days read like a salon in use. Only once: skipped when any
        booking older than a day exists."""
        now = timezone.now()
        if Booking.objects.filter(salon=salon, start__lt=now - dt.timedelta(days=1)).exists():
            return 0
        today = timezone.localdate(timezone=salon.tz)
        first = today - dt.timedelta(weeks=HISTORY_WEEKS)
        then = dt.datetime.combine(first - dt.timedelta(days=1), dt.time(8), tzinfo=salon.tz)
        slots_generate(salon=salon, days=HISTORY_WEEKS * 7 + 2, now=then)
        made = 0
        for offset in range((today - first).days):
            day = first + dt.timedelta(days=offset)
            booked_at = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(8), tzinfo=salon.tz)
            for n, booking in enumerate(
                self._book_day(salon, services, staff, day, count=3 + offset % 4, seed=offset, now=booked_at)
            ):
                made += 1
                turn = (offset * 3 + n) % 17
                if turn == 0:
                    booking_cancel(booking=booking, actor=Actor.customer(), reason="Can't make it", now=booked_at)
                elif turn == 1:
                    booking_mark_no_show(booking=booking, actor=Actor.system(), now=booking.end)
                else:
                    booking_complete(booking=booking, actor=Actor.system(), now=booking.end)
        return made

    def _coming_weeks(self, salon: Salon, services: dict[str, Service], staff: list[StaffMember]) -> int:
        """The coming weeks' bookings, fewer the further ahead. Only once:
        skipped when bookings a week or more ahead exist."""
        now = timezone.now()
        if Booking.objects.filter(salon=salon, start__gt=now + dt.timedelta(days=7)).exists():
            return 0
        today = timezone.localdate(timezone=salon.tz)
        made = 0
        for offset in range(AHEAD_DAYS):
            day = today + dt.timedelta(days=offset)
            count = max(1, 5 - offset // 4)
            made += len(self._book_day(salon, services, staff, day, count=count, seed=offset + 100, now=now))
        return made
