"""Reads of salons and of who works where, and a salon's business info.

The access rule lives here once: every API permission, staff page, admin
view and metrics view asks these functions, so "who may manage this salon"
cannot drift between copies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import Prefetch
from django.utils import timezone

from salons.models import Salon, SalonClosure, Service, StaffMember
from salons.phones import main_region_of

# Looked up at most once per user object, which is one request's user: the
# same idea as Django's ModelBackend keeping ``_perm_cache`` on the user.
_STAFF_MEMBER_CACHE = "_salonbook_staff_member"
_UNSET = object()


def is_platform_admin(user: Any) -> bool:
    """An active superuser: manages every salon and sees the system's numbers."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_superuser)


def staff_member_for_user(user: Any) -> StaffMember | None:
    """The active staff member record of an active, logged-in user, with its salon."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    cached = getattr(user, _STAFF_MEMBER_CACHE, _UNSET)
    if cached is not _UNSET:
        return cast("StaffMember | None", cached)
    member = StaffMember.objects.select_related("salon").filter(user=user, is_active=True).first()
    setattr(user, _STAFF_MEMBER_CACHE, member)
    return member


def user_is_staff_or_admin(user: Any) -> bool:
    """May use the staff pages and staff API at all (which salon is asked separately)."""
    return is_platform_admin(user) or staff_member_for_user(user) is not None


def user_can_manage_salon(user: Any, salon_id: int) -> bool:
    """Admins manage every salon; active staff only the one they work at.

    "Manage" is the day's work: the agenda, desk bookings, moves, blocked time.
    """
    if is_platform_admin(user):
        return True
    member = staff_member_for_user(user)
    return member is not None and member.salon_id == salon_id


def user_owns_salon(user: Any, salon_id: int) -> bool:
    """May change the salon itself (the back office): its owners, and admins everywhere."""
    if is_platform_admin(user):
        return True
    member = staff_member_for_user(user)
    return member is not None and member.salon_id == salon_id and member.role == StaffMember.Role.OWNER


def user_may_reset_calendar(user: Any, staff_member: StaffMember) -> bool:
    """May give ``staff_member``'s calendar feed a new secret: the salon's owners
    (and admins) for anyone, and every staff member for their own feed, so a
    stylist whose link leaked can stop it without waiting for the owner."""
    if user_owns_salon(user, staff_member.salon_id):
        return True
    member = staff_member_for_user(user)
    return member is not None and member.pk == staff_member.pk


def calendar_feeds_user_may_reset(user: Any, salon: Salon) -> list[StaffMember]:
    """The active staff of ``salon`` whose feed the user may reset
    (``user_may_reset_calendar``): everyone for an owner, else themselves."""
    if user_owns_salon(user, salon.pk):
        return list(StaffMember.objects.filter(salon=salon, is_active=True).order_by("name", "pk"))
    member = staff_member_for_user(user)
    return [member] if member is not None and member.salon_id == salon.pk else []


# --- Business info ------------------------------------------------------------------------

NO_SUCH_SALON = "No salon with that name."


def business_info_for_slug(slug: str) -> dict[str, Any] | None:
    """The salon named ``slug``, its active services and staff as plain,
    JSON-ready data (what ``salons.cache`` keeps); None when no salon has that
    slug. Four queries, read as plain rows: an uncached availability answer
    builds this too, so it stays cheap as the staff grows."""
    salon = Salon.objects.filter(slug=slug).first()
    if salon is None:
        return None
    services = list(
        salon.services.filter(is_active=True)
        .order_by("order", "name", "id")
        .values("id", "name", "duration_minutes", "buffer_minutes", "price")
    )
    staff = list(salon.staff.filter(is_active=True).order_by("name", "id").values("id", "name"))
    active_ids = {s["id"] for s in services}
    does: dict[int, list[int]] = {}
    who_does_what = (
        StaffMember.services.through.objects.filter(staffmember__salon=salon)
        .order_by("service_id")
        .values_list("staffmember_id", "service_id")
    )
    for staff_id, service_id in who_does_what:
        if service_id in active_ids:
            does.setdefault(staff_id, []).append(service_id)
    return {
        "id": salon.pk,
        "slug": salon.slug,
        "name": salon.name,
        "timezone": salon.timezone,
        "address": salon.address,
        "whatsapp_phone": salon.whatsapp_phone,
        "locale": salon_locale(language=salon.language, whatsapp_phone=salon.whatsapp_phone),
        "booking_rules": {
            "slot_minutes": salon.slot_minutes,
            "booking_window_days": salon.booking_window_days,
            "cancellation_cutoff_hours": salon.cancellation_cutoff_hours,
            "auto_confirm": salon.auto_confirm,
            "minimum_notice_minutes": salon.minimum_notice_minutes,
            "customers_book_series": salon.customers_book_series,
        },
        "services": [{**service, "price": str(service["price"])} for service in services],
        "staff": [{**member, "services": does.get(member["id"], [])} for member in staff],
    }


DEFAULT_REGION = "GB"


def salon_region(*, whatsapp_phone: str) -> str:
    """The salon's country, read from its WhatsApp number (GB without one)."""
    return main_region_of(whatsapp_phone) or DEFAULT_REGION


def salon_locale(*, language: str, whatsapp_phone: str) -> str:
    """The BCP 47 locale customers' pages write dates and times in: the
    salon's language in the salon's country ("en-GB", "es-ES")."""
    return f"{language}-{salon_region(whatsapp_phone=whatsapp_phone)}"


def salon_slug(salon_id: int) -> str | None:
    """The slug of the salon ``salon_id``, None when there is no such salon."""
    return Salon.objects.filter(pk=salon_id).values_list("slug", flat=True).first()


# --- Bookings ahead, as the back office needs them ----------------------------------------
#
# The salons app cannot import bookings (bookings build on salons), so these
# reads go through the reverse relation the Booking model declares
# (``Salon.bookings``, ``StaffMember.bookings``). "Active" is the booking's
# pending or confirmed status.

ACTIVE_BOOKING_STATUSES = ("pending", "confirmed")


def future_active_bookings_count(*, salon_id: int, now: dt.datetime) -> int:
    """How many pending or confirmed bookings of the salon start after ``now``."""
    return Salon.objects.get(pk=salon_id).bookings.filter(status__in=ACTIVE_BOOKING_STATUSES, start__gt=now).count()


@dataclass(frozen=True)
class BookingOutsideHours:
    reference: str
    staff_member: StaffMember
    start: dt.datetime
    customer_name: str
    why: str


def _why_outside(member: StaffMember, start: dt.datetime, end: dt.datetime, closures: list[SalonClosure]) -> str:
    """Why ``[start, end)`` (the time a booking holds) no longer fits the
    member's hours, or "" when it does. Slots are generated by the same rule."""
    tz = member.salon.tz
    local_start, local_end = timezone.localtime(start, tz), timezone.localtime(end, tz)
    day = local_start.date()
    if not member.is_active:
        return f"{member.name} no longer works here"
    if any(c.date_from <= day <= c.date_to for c in closures):
        return "the salon is closed that day"
    if any(off.date == day for off in member.days_off.all()):
        return f"{member.name} is off that day"
    hours = next((wh for wh in member.working_hours.all() if wh.weekday == day.weekday()), None)
    if hours is None:
        return f"{member.name} does not work on {day:%A}s"
    for opens, closes in hours.intervals():
        if local_end.date() == day and opens <= local_start.time() and local_end.time() <= closes:
            return ""
    return f"outside {member.name}'s hours that day"


def bookings_outside_hours(
    *, salon: Salon, now: dt.datetime, staff_member_id: int | None = None
) -> list[BookingOutsideHours]:
    """Active future bookings that the current hours, days off and closures
    no longer cover: a change never cancels them, the owner moves them.
    Four queries whatever the number of bookings or staff."""
    closures = list(salon.closures.all())
    bookings = (
        salon.bookings.filter(status__in=ACTIVE_BOOKING_STATUSES, start__gt=now)
        .select_related("staff_member__salon")
        .prefetch_related("staff_member__working_hours", "staff_member__days_off")
        .order_by("start")
    )
    if staff_member_id is not None:
        bookings = bookings.filter(staff_member_id=staff_member_id)
    outside = []
    for booking in bookings:
        why = _why_outside(booking.staff_member, booking.start, booking.held_until, closures)
        if why:
            outside.append(
                BookingOutsideHours(
                    reference=booking.reference,
                    staff_member=booking.staff_member,
                    start=booking.start,
                    customer_name=booking.customer_name,
                    why=why,
                )
            )
    return outside


# --- The back office's lists ----------------------------------------------------------------


def services_of_salon(salon: Salon) -> list[Service]:
    """Every service of the salon, active or not, in the owner's order."""
    return list(Service.objects.filter(salon=salon).order_by("order", "name", "id"))


def staff_of_salon(salon: Salon) -> list[StaffMember]:
    """Every staff member of the salon with their services and login: one query each."""
    return list(
        StaffMember.objects.filter(salon=salon)
        .select_related("user")
        .prefetch_related(Prefetch("services", queryset=Service.objects.order_by("order", "name")))
        .order_by("-is_active", "name", "id")
    )
