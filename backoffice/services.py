"""The back office's changes that reach past the salons app: a new slot grid
is refused while bookings lie ahead on the old one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from bookings.selectors import future_active_bookings_count
from salonbook.errors import InvalidInput
from salons.models import Salon
from salons.services import GRID_RULES, salon_rules_update


def salon_rules_change(*, salon: Salon, now: dt.datetime, **rules: Any) -> Salon:
    """``salon_rules_update``, refused while active bookings lie ahead when
    the time zone or the slot length would change: those are the grid every
    slot sits on, and the booked slots would be left off the new one (move or
    finish those bookings first)."""
    with transaction.atomic():
        locked = Salon.objects.select_for_update().get(pk=salon.pk)
        grid_changes = [name for name, value in rules.items() if name in GRID_RULES and getattr(locked, name) != value]
        ahead = future_active_bookings_count(salon=locked, now=now) if grid_changes else 0
        if ahead:
            raise InvalidInput(
                f"The {GRID_RULES[grid_changes[0]]} cannot change while bookings lie ahead.",
                details={
                    name: [
                        f"{ahead} active booking{'s' if ahead != 1 else ''} lie ahead on the current "
                        f"{GRID_RULES[name]}: it can change once none are left."
                    ]
                    for name in grid_changes
                },
            )
        return salon_rules_update(salon=salon, **rules)
