"""Reads of salons and of who works where, and a salon's business info.

The access rule lives here once: every API permission, staff page, admin
view and metrics view asks these functions, so "who may manage this salon"
cannot drift between copies.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Prefetch, QuerySet

from salons.models import Salon, Service, StaffMember
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
        .values("id", "name", "duration_minutes", "buffer_minutes", "processing_after_minutes", "processing_minutes", "price")
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


# --- Who does which service: the one rule, and its refusals ---------------------------

NOT_OFFERED = "This salon does not offer that service."
NOT_WORKING_HERE = "This staff member does not work at this salon."
DOES_NOT_DO = "This staff member does not do that service."


def offers_service(*, salon: Salon, service: Service) -> bool:
    return service.is_active and service.salon_id == salon.pk


def staff_doing_service(*, salon: Salon, service: Service) -> QuerySet[StaffMember]:
    """Who may be booked for ``service``: the salon's active staff who do it."""
    return StaffMember.objects.filter(salon=salon, is_active=True, services=service)


def staff_doing_services(*, salon: Salon, services: list[Service]) -> dict[int, list[int]]:
    """``staff_doing_service`` for several services in one query: the staff
    ids by service id, in id order."""
    doing: dict[int, list[int]] = {service.pk: [] for service in services}
    for service_id, staff_id in (
        StaffMember.services.through.objects.filter(
            service_id__in=list(doing), staffmember__salon=salon, staffmember__is_active=True
        )
        .order_by("staffmember_id")
        .values_list("service_id", "staffmember_id")
    ):
        doing[service_id].append(staff_id)
    return doing


def service_and_staff_errors(
    *, salon: Salon, service: Service, staff_member: StaffMember | None
) -> dict[str, list[str]]:
    """Why ``service`` with ``staff_member`` (None: anyone) cannot be booked
    at ``salon``, by field (``service``, ``staff``); empty when it can."""
    errors: dict[str, list[str]] = {}
    if not offers_service(salon=salon, service=service):
        errors["service"] = [NOT_OFFERED]
    if staff_member is not None:
        if staff_member.salon_id != salon.pk or not staff_member.is_active:
            errors["staff"] = [NOT_WORKING_HERE]
        elif "service" not in errors and not staff_doing_service(salon=salon, service=service).filter(
            pk=staff_member.pk
        ).exists():
            errors["staff"] = [DOES_NOT_DO]
    return errors


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
