"""Every change to a salon's business info: the salon, its rules, services
and staff members. A change that shapes slots (hours, days off, closures,
who works, the slot grid) is announced inside its transaction, and
``slots.receivers`` regenerates the free future slots in that same
transaction (never touching a held or blocked one): hours and slots commit
together or not at all. The cached business info follows after commit. Schedules (hours,
days off, closures) are in ``salons.schedules``; staff logins in
``salons.invites``. And the secret of each staff member's calendar feed,
which is no business info: nothing listens to it.

Refusals are ``InvalidInput`` with the field named, so a page shows each one
next to its field and the API in the error envelope.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Model

from salonbook.errors import InvalidInput
from salonbook.events import send_on_commit
from salons import signals
from salons.models import DayOff, Salon, SalonClosure, Service, StaffMember, WorkingHours

BusinessInfo = Salon | Service | StaffMember | WorkingHours | DayOff | SalonClosure

# The rules that shape every staff member's slots: changing one regenerates them.
SLOT_SHAPING_RULES = ("timezone", "slot_minutes", "booking_window_days")
# Rules that would leave booked slots off the new grid: refused while bookings lie ahead.
GRID_RULES = {"timezone": "time zone", "slot_minutes": "slot length"}


def _salon_id_of(instance: Model) -> int:
    if isinstance(instance, Salon):
        return instance.pk
    if isinstance(instance, (Service, StaffMember, SalonClosure)):
        return instance.salon_id
    if isinstance(instance, (WorkingHours, DayOff)):
        return instance.staff_member.salon_id
    raise TypeError(f"{type(instance).__name__} is not business info")


def _announce(instance: Model) -> None:
    """Call inside the change's transaction, after the change: the schedule
    events go out at once (their listener regenerates slots in this
    transaction), the business-info event after commit."""
    salon_id = _salon_id_of(instance)
    send_on_commit(signals.salon_updated, sender=type(instance), salon_id=salon_id)
    if isinstance(instance, (WorkingHours, DayOff)):
        signals.staff_schedule_changed.send(
            sender=type(instance), salon_id=salon_id, staff_member_id=instance.staff_member_id
        )
    elif isinstance(instance, SalonClosure):
        signals.salon_schedule_changed.send(sender=SalonClosure, salon_id=salon_id)
    elif isinstance(instance, StaffMember):
        # Activating or deactivating someone changes which slots exist.
        signals.staff_schedule_changed.send(sender=StaffMember, salon_id=salon_id, staff_member_id=instance.pk)


def validated(instance: Model, *, prefix: str = "") -> None:
    """The model's own rules (field validators, ``clean``, unique checks) as
    ``InvalidInput`` with the fields named (``prefix`` before each name)."""
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise InvalidInput(
            details={f"{prefix}{field}": list(messages) for field, messages in exc.message_dict.items()}
        ) from None


def validated_or_restored(instance: Model) -> None:
    """``validated``, and on a refusal the instance reads its saved values
    again: the caller (a page showing the salon's name) never sees a change
    that did not happen."""
    try:
        validated(instance)
    except InvalidInput:
        if instance.pk is not None:
            instance.refresh_from_db()
        raise


def business_info_save(*, instance: BusinessInfo) -> Any:
    """Validate and save one piece of business info, then announce it.

    The admin and the staff pages save through here, never with ``save()``.
    Django admin gets Django's ``ValidationError``, which its forms show.
    """
    instance.full_clean()
    with transaction.atomic():
        instance.save()
        _announce(instance)
    return instance


def business_info_delete(*, instance: WorkingHours | DayOff | Service | SalonClosure) -> None:
    """Remove hours, a day off or a service no booking refers to, then announce it."""
    with transaction.atomic():
        instance.delete()
        _announce(instance)


def salon_update(*, salon: Salon, **fields: Any) -> Salon:
    """Change a salon's info or booking rules."""
    for name, value in fields.items():
        setattr(salon, name, value)
    return business_info_save(instance=salon)


def salon_profile_update(*, salon: Salon, name: str, address: str, whatsapp_phone: str, language: str) -> Salon:
    """Change what customers see of the salon: its name, address, WhatsApp
    number (E.164) and the language of their messages."""
    salon.name, salon.address, salon.whatsapp_phone, salon.language = name, address, whatsapp_phone, language
    validated_or_restored(salon)
    return business_info_save(instance=salon)


def salon_booking_page_update(*, salon: Salon, online_bookings_per_phone: int, embed_origins: str) -> Salon:
    """Change the booking page's settings: how many upcoming online bookings
    one phone number may hold, and which sites may show the page in a frame
    (one origin a line)."""
    salon.online_bookings_per_phone = online_bookings_per_phone
    salon.embed_origins = "\n".join(line.strip().rstrip("/") for line in embed_origins.splitlines() if line.strip())
    validated_or_restored(salon)
    return business_info_save(instance=salon)


def salon_rules_update(*, salon: Salon, **rules: Any) -> Salon:
    """Change the booking rules (time zone, slot length, booking window,
    cancellation cut-off, auto-confirm, minimum notice, whether customers
    book standing appointments). Free slots are regenerated for the new
    rules in the same transaction.

    Whether bookings ahead allow a new grid (``GRID_RULES``) is the back
    office's question (``backoffice.services.salon_rules_change``): the
    salons app knows nothing of bookings.
    """
    with transaction.atomic():
        locked = Salon.objects.select_for_update().get(pk=salon.pk)
        changed = [name for name, value in rules.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, rules[name])
        validated(locked)
        business_info_save(instance=locked)
        if any(name in SLOT_SHAPING_RULES for name in changed):
            signals.salon_schedule_changed.send(sender=Salon, salon_id=locked.pk)
    for name in changed:
        setattr(salon, name, rules[name])
    return locked


# --- Services -----------------------------------------------------------------------------


def service_create(
    *,
    salon: Salon,
    name: str,
    duration_minutes: int,
    buffer_minutes: int = 0,
    price: Decimal,
    processing_after_minutes: int = 0,
    processing_minutes: int = 0,
) -> Service:
    """Add a service to the salon, last in its list. Nobody does it until a
    staff member is given it."""
    with transaction.atomic():
        Salon.objects.select_for_update().get(pk=salon.pk)  # one new last place at a time
        last = Service.objects.filter(salon=salon).aggregate(last=Max("order"))["last"]
        service = Service(
            salon=salon,
            name=name.strip(),
            duration_minutes=duration_minutes,
            buffer_minutes=buffer_minutes,
            processing_after_minutes=processing_after_minutes,
            processing_minutes=processing_minutes,
            price=price,
            order=0 if last is None else last + 1,
        )
        validated(service)
        return business_info_save(instance=service)


def service_update(
    *,
    service: Service,
    name: str,
    duration_minutes: int,
    buffer_minutes: int,
    price: Decimal,
    processing_after_minutes: int | None = None,
    processing_minutes: int | None = None,
) -> Service:
    """Change a service's name, length, clean-up time, processing phase
    (left as it is when not given) or price. Bookings already made keep
    their times; new starts follow the new length."""
    service.name, service.duration_minutes = name.strip(), duration_minutes
    service.buffer_minutes, service.price = buffer_minutes, price
    if processing_minutes is not None:
        service.processing_after_minutes = processing_after_minutes or 0
        service.processing_minutes = processing_minutes
    validated_or_restored(service)
    return business_info_save(instance=service)


def service_set_active(*, service: Service, active: bool) -> Service:
    """Deactivate (or bring back) a service. A deactivated service keeps its
    bookings and leaves availability at once: the change event makes the
    cached availability of the salon stale."""
    if service.is_active == active:
        return service
    service.is_active = active
    return business_info_save(instance=service)


def services_reorder(*, salon: Salon, service_ids: Iterable[int]) -> list[Service]:
    """Put the salon's services in the order of ``service_ids`` (every one
    of them, each once)."""
    wanted = list(service_ids)
    with transaction.atomic():
        services = {s.pk: s for s in Service.objects.select_for_update().filter(salon=salon)}
        if sorted(wanted) != sorted(services):
            raise InvalidInput(details={"order": ["List every service of the salon once."]})
        for position, pk in enumerate(wanted):
            services[pk].order = position
        Service.objects.bulk_update(services.values(), ["order"])
        send_on_commit(signals.salon_updated, sender=Service, salon_id=salon.pk)
    return [services[pk] for pk in wanted]


def service_move(*, service: Service, step: int) -> list[Service]:
    """Move a service one place up (``step`` -1) or down (+1) in the salon's list."""
    ids = list(Service.objects.filter(salon_id=service.salon_id).values_list("pk", flat=True))
    index = ids.index(service.pk)
    target = min(max(index + step, 0), len(ids) - 1)
    ids.insert(target, ids.pop(index))
    return services_reorder(salon=service.salon, service_ids=ids)


# --- Staff members ------------------------------------------------------------------------


def _check_services(salon: Salon, services: Iterable[Service]) -> list[Service]:
    services = list(services)
    if any(s.salon_id != salon.pk for s in services):
        raise InvalidInput(details={"services": ["Choose services of this salon."]})
    return services


def staff_member_create(*, salon: Salon, name: str, role: str, services: Iterable[Service]) -> StaffMember:
    """Add a staff member doing ``services``. They have no hours (so no slots)
    until their week is set."""
    chosen = _check_services(salon, services)
    member = StaffMember(salon=salon, name=name.strip(), role=role)
    validated(member)
    with transaction.atomic():
        business_info_save(instance=member)
        member.services.set(chosen)
    return member


def staff_member_update(
    *, member: StaffMember, name: str, role: str, services: Iterable[Service], is_active: bool
) -> StaffMember:
    """Change a staff member's name, role, services, or deactivate them.

    A deactivated member cannot log in, is offered no more, and loses their
    free future slots; their booked ones stay, listed for the owner to move.
    The salon's last active owner cannot step down or leave.
    """
    chosen = _check_services(member.salon, services)
    stays_owner = role == StaffMember.Role.OWNER and is_active
    with transaction.atomic():
        if not stays_owner:
            # Locked, so two owners stepping down at once cannot both leave.
            owners = list(
                StaffMember.objects.select_for_update()
                .filter(salon_id=member.salon_id, role=StaffMember.Role.OWNER, is_active=True)
                .values_list("pk", flat=True)
            )
            if owners == [member.pk]:
                field = "role" if role != StaffMember.Role.OWNER else "is_active"
                raise InvalidInput(details={field: ["The salon needs an owner: make someone else owner first."]})
        member.name, member.role, member.is_active = name.strip(), role, is_active
        validated_or_restored(member)
        business_info_save(instance=member)
        member.services.set(chosen)
    return member


# --- A staff member's private calendar feed ------------------------------------------------


def _new_calendar_token() -> str:
    # 256 random bits, URL-safe: the URL itself is the only key to the feed.
    return secrets.token_urlsafe(32)


def calendar_token_for(*, staff_member: StaffMember) -> str:
    """The secret of the member's calendar feed URL, made the first time it is asked for.

    Compare-and-set: two first requests at once both write only where no
    secret exists yet, and the one that lost reads the winner's.
    """
    if staff_member.calendar_token:
        return staff_member.calendar_token
    token = _new_calendar_token()
    if StaffMember.objects.filter(pk=staff_member.pk, calendar_token__isnull=True).update(calendar_token=token):
        staff_member.calendar_token = token
    else:
        # Nothing sets a secret back to empty, so the winner's is there.
        token = cast(str, StaffMember.objects.values_list("calendar_token", flat=True).get(pk=staff_member.pk))
        staff_member.calendar_token = token
    return token


def calendar_token_reset(*, staff_member: StaffMember) -> str:
    """Give the member's feed a new secret: the old URL stops working at once
    (feeds are looked up by their secret on every request, cached or not)."""
    token = _new_calendar_token()
    StaffMember.objects.filter(pk=staff_member.pk).update(calendar_token=token)
    staff_member.calendar_token = token
    return token
