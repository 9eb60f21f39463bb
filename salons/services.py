"""Every change to a salon's business info: the salon, its services, staff,
working hours and days off. Each one tells listeners after commit, so the
cached business info and the free slots follow. And the secret of each staff
member's calendar feed, which is no business info: nothing listens to it."""

from __future__ import annotations

import secrets
from typing import Any, cast

from django.db import transaction
from django.db.models import Model

from salonbook.events import send_on_commit
from salons import signals
from salons.models import DayOff, Salon, Service, StaffMember, WorkingHours


def _salon_id_of(instance: Model) -> int:
    if isinstance(instance, Salon):
        return instance.pk
    if isinstance(instance, (Service, StaffMember)):
        return instance.salon_id
    if isinstance(instance, (WorkingHours, DayOff)):
        return instance.staff_member.salon_id
    raise TypeError(f"{type(instance).__name__} is not business info")


def _announce(instance: Model) -> None:
    salon_id = _salon_id_of(instance)
    send_on_commit(signals.salon_updated, sender=type(instance), salon_id=salon_id)
    if isinstance(instance, (WorkingHours, DayOff)):
        send_on_commit(
            signals.staff_schedule_changed,
            sender=type(instance),
            salon_id=salon_id,
            staff_member_id=instance.staff_member_id,
        )
    elif isinstance(instance, StaffMember):
        # Activating or deactivating someone changes which slots exist.
        send_on_commit(
            signals.staff_schedule_changed, sender=StaffMember, salon_id=salon_id, staff_member_id=instance.pk
        )


def business_info_save(*, instance: Salon | Service | StaffMember | WorkingHours | DayOff) -> Any:
    """Validate and save one piece of business info, then announce it.

    The admin and the staff pages save through here, never with ``save()``.
    """
    instance.full_clean()
    with transaction.atomic():
        instance.save()
        _announce(instance)
    return instance


def business_info_delete(*, instance: WorkingHours | DayOff | Service) -> None:
    """Remove hours, a day off or a service no booking refers to, then announce it."""
    with transaction.atomic():
        _announce(instance)
        instance.delete()


def salon_update(*, salon: Salon, **fields: Any) -> Salon:
    """Change a salon's info or booking rules."""
    for name, value in fields.items():
        setattr(salon, name, value)
    return business_info_save(instance=salon)


def working_hours_set(
    *,
    staff_member: StaffMember,
    weekday: int,
    start_time,
    end_time,
    break_start=None,
    break_end=None,
) -> WorkingHours:
    """Set one weekday's hours for a staff member; free slots follow."""
    hours = WorkingHours.objects.filter(staff_member=staff_member, weekday=weekday).first() or WorkingHours(
        staff_member=staff_member, weekday=weekday
    )
    hours.start_time, hours.end_time = start_time, end_time
    hours.break_start, hours.break_end = break_start, break_end
    return business_info_save(instance=hours)


def day_off_add(*, staff_member: StaffMember, date, reason: str = "") -> DayOff:
    """Give a staff member a day off; that day's free slots go away."""
    day_off = DayOff.objects.filter(staff_member=staff_member, date=date).first() or DayOff(
        staff_member=staff_member, date=date
    )
    day_off.reason = reason
    return business_info_save(instance=day_off)


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
