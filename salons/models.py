from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from salons.phones import validate_e164

# A host name (or localhost) and an optional port: nothing a policy could be widened with.
_ORIGIN_HOST = re.compile(r"(localhost|[a-z0-9-]+(\.[a-z0-9-]+)+)(:[0-9]{1,5})?", re.IGNORECASE)


def validate_frame_origins(value: str) -> None:
    """One origin a line (``https://www.example.com``): scheme, host and an
    optional port, as a browser names the page that frames ours."""
    for origin in frame_origins(value):
        scheme, _, host = origin.partition("://")
        if scheme not in ("https", "http") or not _ORIGIN_HOST.fullmatch(host):
            raise ValidationError(f"{origin!r} is not an origin such as https://www.example.com (no path, no wildcard).")


def frame_origins(value: str) -> list[str]:
    """The origins listed in a salon's ``embed_origins``, one a line."""
    return [line.strip().rstrip("/") for line in value.splitlines() if line.strip()]


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone such as Europe/London.")


class Salon(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_time_zone], help_text="IANA time zone"
    )
    whatsapp_phone = models.CharField(
        max_length=20, blank=True, validators=[validate_e164], help_text="E.164, e.g. +447911123456"
    )
    address = models.TextField(blank=True)

    # Booking rules.
    slot_minutes = models.PositiveSmallIntegerField(
        default=15, validators=[MinValueValidator(5), MaxValueValidator(240)], help_text="Length of one slot"
    )
    booking_window_days = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(365)], help_text="How far ahead customers may book"
    )
    cancellation_cutoff_hours = models.PositiveSmallIntegerField(
        default=24, help_text="Customers may cancel online until this many hours before the start"
    )
    auto_confirm = models.BooleanField(default=True, help_text="Confirm new bookings without staff review")
    minimum_notice_minutes = models.PositiveIntegerField(
        default=0,
        validators=[MaxValueValidator(60 * 24 * 14)],
        help_text="Customers may not book a start sooner than this many minutes from now",
    )
    customers_book_series = models.BooleanField(
        default=False, help_text="Let customers book a standing appointment online"
    )

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        SPANISH = "es", "Español"

    language = models.CharField(
        max_length=8, choices=Language.choices, default=Language.ENGLISH, help_text="Language of customer messages"
    )

    # The booking page.
    online_bookings_per_phone = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="At most this many upcoming online bookings per phone number",
    )
    embed_origins = models.TextField(
        blank=True,
        validators=[validate_frame_origins],
        help_text="Sites that may show the booking page in a frame, one origin a line (https://www.example.com)",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def slot_length(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.slot_minutes)

    def booking_window_closes(self, now: dt.datetime) -> dt.datetime:
        """The latest start a customer may book at ``now``."""
        return now + dt.timedelta(days=self.booking_window_days)

    def earliest_start(self, now: dt.datetime) -> dt.datetime:
        """The soonest start a customer may book at ``now``: the minimum notice ahead."""
        return now + dt.timedelta(minutes=self.minimum_notice_minutes)

    def cancellation_closes(self, start: dt.datetime) -> dt.datetime:
        """Until when a customer may still cancel a booking starting at ``start``."""
        return start - dt.timedelta(hours=self.cancellation_cutoff_hours)


class Service(models.Model):
    salon = models.ForeignKey(Salon, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=120)
    duration_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(5), MaxValueValidator(600)])
    buffer_minutes = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(240)], help_text="Clean-up time the staff member stays busy"
    )
    price = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("0.00"), validators=[MinValueValidator(Decimal("0"))]
    )
    # A middle phase in which the staff member is free while the customer
    # stays (a colour developing): it starts ``processing_after_minutes``
    # into the service and lasts ``processing_minutes``; 0 for none.
    processing_after_minutes = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(600)], help_text="Minutes of work before the processing phase"
    )
    processing_minutes = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(600)],
        help_text="Minutes in which the staff member is free to serve someone else (0 for none)",
    )
    is_active = models.BooleanField(default=True)
    # Where the service shows in the salon's lists (the owner's order), then by name.
    order = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        # By the salon's id, not the salon: ordering by a relation joins its
        # table to sort by its own ordering, in every query that does not
        # choose an order of its own. The same for the models below.
        ordering = ["salon_id", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["salon", "name"], name="service_unique_name_per_salon"),
            # Processing sits strictly inside the service: work before it and after it.
            models.CheckConstraint(
                condition=models.Q(processing_minutes=0)
                | models.Q(
                    processing_after_minutes__gt=0,
                    duration_minutes__gt=models.F("processing_after_minutes") + models.F("processing_minutes"),
                ),
                name="service_processing_inside",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.duration_minutes} min)"

    def clean(self) -> None:
        super().clean()
        if self.processing_minutes and not (
            0 < self.processing_after_minutes
            and self.processing_after_minutes + self.processing_minutes < (self.duration_minutes or 0)
        ):
            raise ValidationError(
                {"processing_minutes": "Processing must start after some work and end before the service ends."}
            )

    @property
    def staff_periods(self) -> list[tuple[dt.timedelta, dt.timedelta]]:
        """When the staff member is busy, as offsets from the start: the whole
        service and its clean-up, less the processing phase."""
        busy = self.busy_time
        if not self.processing_minutes:
            return [(dt.timedelta(), busy)]
        paused = dt.timedelta(minutes=self.processing_after_minutes)
        resumes = paused + dt.timedelta(minutes=self.processing_minutes)
        return [(dt.timedelta(), paused), (resumes, busy)]

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.duration_minutes)

    @property
    def busy_time(self) -> dt.timedelta:
        """How long the staff member is taken: the service plus its clean-up."""
        return dt.timedelta(minutes=self.duration_minutes + self.buffer_minutes)


class StaffMember(models.Model):
    class Role(models.TextChoices):
        # Owners run the back office of their salon; stylists see it read-only.
        OWNER = "owner", "Owner"
        STYLIST = "stylist", "Stylist"

    salon = models.ForeignKey(Salon, on_delete=models.PROTECT, related_name="staff")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff_member",
        help_text="Login for the staff pages and API",
    )
    name = models.CharField(max_length=120)
    services = models.ManyToManyField(Service, related_name="staff", blank=True)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STYLIST)
    is_active = models.BooleanField(default=True)
    # The secret in the member's private calendar feed URL; made when first
    # asked for, replaced when the owner resets the feed.
    calendar_token = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["salon_id", "name"]

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    """One weekday's hours for a staff member, with an optional break."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    staff_member = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()
    break_start = models.TimeField(null=True, blank=True)
    break_end = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["staff_member_id", "weekday"]
        verbose_name_plural = "working hours"
        constraints = [
            models.UniqueConstraint(fields=["staff_member", "weekday"], name="working_hours_one_per_weekday"),
            models.CheckConstraint(condition=models.Q(start_time__lt=models.F("end_time")), name="working_hours_start_before_end"),
        ]

    def __str__(self) -> str:
        hours = f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"
        if self.break_start and self.break_end:
            hours += f" (break {self.break_start:%H:%M}-{self.break_end:%H:%M})"
        return hours

    def clean(self) -> None:
        if self.start_time and self.end_time and self.start_time >= self.end_time:
            raise ValidationError({"end_time": "The day must end after it starts."})
        if bool(self.break_start) != bool(self.break_end):
            raise ValidationError({"break_end": "Give both the start and the end of the break, or neither."})
        if self.break_start and self.break_end:
            if self.break_end <= self.break_start:
                raise ValidationError({"break_end": "The break must end after it starts."})
            if self.start_time and self.end_time and not (
                self.start_time <= self.break_start and self.break_end <= self.end_time
            ):
                raise ValidationError({"break_start": "The break must lie inside the working hours."})
            if self.break_start == self.start_time and self.break_end == self.end_time:
                raise ValidationError({"break_start": "The break takes the whole day: mark the day as not working."})

    def intervals(self) -> list[tuple[dt.time, dt.time]]:
        """The working periods of the day, the break cut out."""
        if self.break_start and self.break_end:
            return [(self.start_time, self.break_start), (self.break_end, self.end_time)]
        return [(self.start_time, self.end_time)]


class DayOff(models.Model):
    staff_member = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="days_off")
    date = models.DateField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["staff_member_id", "date"]
        verbose_name_plural = "days off"
        constraints = [models.UniqueConstraint(fields=["staff_member", "date"], name="day_off_once_per_date")]

    def __str__(self) -> str:
        return f"{self.staff_member} off on {self.date}"


class SalonClosure(models.Model):
    """The whole salon closed (a holiday): one date or a range, for everyone."""

    salon = models.ForeignKey(Salon, on_delete=models.CASCADE, related_name="closures")
    date_from = models.DateField()
    date_to = models.DateField(help_text="Last closed day (the same as the first for one day)")
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["salon_id", "date_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_to__gte=models.F("date_from")), name="closure_ends_after_it_starts"
            )
        ]

    def __str__(self) -> str:
        return f"{self.salon} closed {self.date_from}..{self.date_to}"
