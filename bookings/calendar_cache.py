"""Staff members' calendar feeds, read by their secret and cached: TTL 15 minutes.

An entry is one member's rendered feed (``bookings.calendar_feed``). It
depends on two versions (``salonbook.cache``): the member's, moved on by every
booking event about them (made, confirmed, cancelled, moved to or away from
them, completed, no-show; customers' data erased), and the salon's, moved on by ``salon_updated``
(its name, address, zone and booking window, its services' and staff names).
The events come after commit, the same ones the availability and the agenda
follow, so a feed is never staler than the change that made it so.

The secret is looked up in the database on every request, hit or miss, and
entries are named by the member's id: a secret that was reset stops working
at once. A hit is that one query and one cache round trip; a miss adds one
query for the bookings, however many there are.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.dispatch import receiver

from bookings.calendar_feed import staff_feed_ics, staff_feed_window
from bookings.selectors import parts_for_staff_feed
from bookings.signals import BOOKING_EVENTS, personal_data_erased
from salonbook.cache import cached, invalidate
from salons.models import StaffMember
from salons.signals import salon_updated

# 15 minutes: the bound on what no event announces, the feed's window moving
# on with the clock. Calendar programs fetch a feed every hour or less often.
FEED_TTL = 15 * 60


def _member_version(staff_member_id: int) -> str:
    return f"cal:v:staff:{staff_member_id}"


def _salon_version(salon_id: int) -> str:
    return f"cal:v:salon:{salon_id}"


def staff_feed_for_secret(secret: str, *, now: dt.datetime) -> bytes | None:
    """The feed behind ``secret``, None when no active staff member has it."""
    member = StaffMember.objects.select_related("salon").filter(calendar_token=secret, is_active=True).first()
    if member is None:
        return None

    def build() -> bytes:
        begin, end = staff_feed_window(member.salon, now=now)
        parts = parts_for_staff_feed(staff_member=member, begin=begin, end=end)
        return staff_feed_ics(staff_member=member, parts=parts)

    return cached(
        kind="calendar_feed",
        key=f"cal:{member.pk}",
        versions=[_salon_version(member.salon_id), _member_version(member.pk)],
        ttl=FEED_TTL,
        build=build,
    )


def calendar_feeds_invalidate(*, staff_member_ids: set[int]) -> None:
    """Make the cached feeds of these staff members stale."""
    invalidate([_member_version(pk) for pk in sorted(staff_member_ids)])


def _booking_changed(sender: Any, *, booking: Any, **kwargs: Any) -> None:
    # A move to another staff member changes two feeds: theirs and the old
    # one's; a visit changes the feed of each of its staff members.
    members = {booking.staff_member_id, kwargs.get("previous_staff_member_id") or booking.staff_member_id}
    members.update(booking.parts.values_list("staff_member_id", flat=True))
    calendar_feeds_invalidate(staff_member_ids=members)


for _event in BOOKING_EVENTS:
    _event.connect(_booking_changed, dispatch_uid=f"bookings.calendar_cache.{_event.name}")


@receiver(personal_data_erased, dispatch_uid="bookings.calendar_cache.personal_data_erased")
def _customers_erased(sender: Any, *, staff_member_ids: set[int], **kwargs: Any) -> None:
    # The feeds name the customer of each booking.
    calendar_feeds_invalidate(staff_member_ids=staff_member_ids)


@receiver(salon_updated, dispatch_uid="bookings.calendar_cache.salon_updated")
def _salon_changed(sender: Any, *, salon_id: int, **kwargs: Any) -> None:
    invalidate([_salon_version(salon_id)])
