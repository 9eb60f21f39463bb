"""Every change to the waitlist that a person asks for: joining, leaving,
claiming or declining an offer, and staff offering or withdrawing one.

Locks are taken offer first, then entry, everywhere (the expiry job too), so
a claim and an expiry at the same instant wait for each other rather than
deadlock, and the second finds the offer already settled.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from bookings.models import Booking, BookingStatusChange
from bookings.services import Actor, BookingRequest, Customer, _check_customer, booking_create
from salonbook.errors import InvalidInput, InvalidTransition, OutsideBookingWindow, SlotUnavailable
from salonbook.events import send_on_commit
from salons.models import Salon, Service, StaffMember
from salons.selectors import service_and_staff_errors
from slots.holds import Holder, holds_release
from slots.selectors import check_start_offered
from waitlist import signals
from waitlist.models import WaitlistEntry, WaitlistOffer
from waitlist.offers import offer_end, offer_hold

BOOKED_FROM_WAITLIST = "booked from the waitlist"


class OfferNotLive(InvalidTransition):
    code = "offer_not_live"
    default_message = "This time is no longer held for you."


class OfferAlreadyClaimed(InvalidTransition):
    code = "offer_claimed"
    default_message = "This time is already booked for you; the booking's own link manages it."


def _check_entry(
    *,
    salon: Salon,
    service: Service,
    staff_member: StaffMember | None,
    date_from: dt.date,
    date_to: dt.date,
    earliest: dt.time | None,
    latest: dt.time | None,
    now: dt.datetime,
) -> None:
    errors = service_and_staff_errors(salon=salon, service=service, staff_member=staff_member)
    today = timezone.localtime(now, salon.tz).date()
    if date_to < date_from:
        errors["date_to"] = ["The last day must not be before the first."]
    elif date_from < today:
        errors["date_from"] = ["That day has already passed."]
    if earliest is not None and latest is not None and earliest >= latest:
        errors["latest"] = ["The latest start must be after the earliest."]
    if errors:
        raise InvalidInput(details=errors)
    last_day = timezone.localtime(salon.booking_window_closes(now), salon.tz).date()
    if date_to > last_day:
        raise OutsideBookingWindow(
            f"{salon.name} takes bookings up to {salon.booking_window_days} days ahead.",
            details={"date_to": [f"Choose a last day no later than {last_day.isoformat()}."]},
        )


def waitlist_join(
    *,
    salon: Salon,
    service: Service,
    staff_member: StaffMember | None,
    date_from: dt.date,
    date_to: dt.date,
    customer_name: str,
    customer_phone: str,
    earliest: dt.time | None = None,
    latest: dt.time | None = None,
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> WaitlistEntry:
    """Put a customer on the waitlist for ``service`` between two salon-local
    days (and, optionally, hours). Raises ``InvalidInput`` or ``OutsideBookingWindow``."""
    actor = actor or Actor.customer()
    now = now or timezone.now()
    name, phone, _ = _check_customer(salon=salon, name=customer_name, phone=customer_phone, email="")
    _check_entry(
        salon=salon,
        service=service,
        staff_member=staff_member,
        date_from=date_from,
        date_to=date_to,
        earliest=earliest,
        latest=latest,
        now=now,
    )
    entry = WaitlistEntry.objects.create(
        salon=salon,
        service=service,
        staff_member=staff_member,
        date_from=date_from,
        date_to=date_to,
        earliest=earliest,
        latest=latest,
        customer_name=name,
        customer_phone=phone,
        joined_at=now,
    )
    send_on_commit(
        signals.waitlist_joined, sender=WaitlistEntry, entry_id=entry.pk, salon_id=salon.pk, actor=actor.kind
    )
    return entry


def _live_offer_locked(entry: WaitlistEntry) -> WaitlistOffer | None:
    offer_id = (
        WaitlistOffer.objects.filter(entry=entry, status=WaitlistOffer.Status.LIVE).values_list("pk", flat=True).first()
    )
    if offer_id is None:
        return None
    return (
        WaitlistOffer.objects.select_for_update(of=("self",))
        .select_related("salon", "staff_member", "entry")
        .filter(pk=offer_id, status=WaitlistOffer.Status.LIVE)
        .first()
    )


def _entry_locked(entry: WaitlistEntry) -> WaitlistEntry:
    return (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("salon", "service", "staff_member", "booking")
        .get(pk=entry.pk)
    )


def waitlist_claim(*, entry: WaitlistEntry, now: dt.datetime | None = None) -> Booking:
    """Book the start the entry's live offer holds, through ``booking_create``.

    The claim link is single use: once the entry is booked, claiming again
    raises ``OfferAlreadyClaimed`` (the booking's manage token was given
    once, in the first answer and the booking's own messages, and a replayed
    link must not hand it out again). An offer past its time (even before
    the expiry job ran) or already ended raises ``OfferNotLive``.
    """
    now = now or timezone.now()
    with transaction.atomic():
        offer = _live_offer_locked(entry)
        locked = _entry_locked(entry)
        if locked.status == WaitlistEntry.Status.BOOKED:
            raise OfferAlreadyClaimed()
        if offer is None or now >= offer.expires_at:
            raise OfferNotLive()
        # Freed and booked in one transaction, the slots locked throughout:
        # nobody else can take the time in between.
        holds_release(salon=locked.salon, holder=Holder.offer(offer.pk))
        booking = booking_create(
            request=BookingRequest(
                salon=locked.salon,
                service=locked.service,
                staff_member=offer.staff_member,
                start=offer.start,
                customer=Customer(locked.customer_name, locked.customer_phone),
            ),
            actor=Actor.customer(),
            now=now,
        )
        BookingStatusChange.objects.create(
            booking=booking,
            from_status=booking.status,
            to_status=booking.status,
            actor=BookingStatusChange.Actor.CUSTOMER,
            note=BOOKED_FROM_WAITLIST,
            changed_at=now,
        )
        offer.status = WaitlistOffer.Status.CLAIMED
        offer.booking = booking
        offer.resolved_at = now
        offer.save(update_fields=["status", "booking", "resolved_at"])
        locked.status = WaitlistEntry.Status.BOOKED
        locked.booking = booking
        locked.save(update_fields=["status", "booking", "updated_at"])
        send_on_commit(
            signals.waitlist_claimed,
            sender=WaitlistOffer,
            entry_id=locked.pk,
            salon_id=locked.salon_id,
            offer_id=offer.pk,
            booking_id=booking.pk,
        )
    return booking


def _end_live_offer(
    entry: WaitlistEntry, *, status: str, actor: Actor, now: dt.datetime, pass_on: bool, entry_status: str | None = None
) -> WaitlistEntry:
    with transaction.atomic():
        offer = _live_offer_locked(entry)
        locked = _entry_locked(entry)
        if offer is None:
            if entry_status and locked.status in WaitlistEntry.OPEN_STATUSES:
                locked.status = entry_status
                locked.save(update_fields=["status", "updated_at"])
            return locked
        offer.status = status
        offer.resolved_at = now
        offer.save(update_fields=["status", "resolved_at"])
        offer_end(offer, now=now, pass_on=pass_on, entry_status=entry_status)
        send_on_commit(
            signals.waitlist_declined,
            sender=WaitlistOffer,
            entry_id=locked.pk,
            salon_id=locked.salon_id,
            offer_id=offer.pk,
            actor=actor.kind,
        )
        locked.refresh_from_db(fields=["status"])
    return locked


def waitlist_decline(*, entry: WaitlistEntry, now: dt.datetime | None = None) -> WaitlistEntry:
    """The customer lets the offered time go: it passes to the next matching
    entry, or back to availability. The entry waits on for another time."""
    return _end_live_offer(
        entry, status=WaitlistOffer.Status.DECLINED, actor=Actor.customer(), now=now or timezone.now(), pass_on=True
    )


def waitlist_leave(*, entry: WaitlistEntry, now: dt.datetime | None = None) -> WaitlistEntry:
    """The customer leaves the waitlist; time held for them is passed on. Leaving twice does nothing."""
    return _end_live_offer(
        entry,
        status=WaitlistOffer.Status.CANCELLED,
        actor=Actor.customer(),
        now=now or timezone.now(),
        pass_on=True,
        entry_status=WaitlistEntry.Status.LEFT,
    )


def waitlist_withdraw(*, entry: WaitlistEntry, actor: Actor, now: dt.datetime | None = None) -> WaitlistEntry:
    """Staff take back an offer. The time goes back to availability, not to
    the next entry: staff withdrew it to decide about it themselves."""
    return _end_live_offer(
        entry, status=WaitlistOffer.Status.WITHDRAWN, actor=actor, now=now or timezone.now(), pass_on=False
    )


def waitlist_offer_by_hand(
    *, entry: WaitlistEntry, staff_member: StaffMember, start: dt.datetime, now: dt.datetime | None = None
) -> WaitlistOffer:
    """Staff offer a free start to a waiting entry. The start must be one
    availability offers for the entry's service; it is held like any offer.
    Raises ``InvalidInput``, ``InvalidTransition`` or ``SlotUnavailable``."""
    now = now or timezone.now()
    check_start_offered(salon=entry.salon, service=entry.service, staff_member=staff_member, start=start, now=now)
    with transaction.atomic():
        locked = _entry_locked(entry)
        if locked.status != WaitlistEntry.Status.WAITING:
            raise InvalidTransition(
                f"This entry is {locked.get_status_display().lower()}; only a waiting entry can be offered a time.",
                details={"status": locked.status},
            )
        offer = offer_hold(entry=locked, staff_member=staff_member, start=start, now=now, by_hand=True)
        if offer is None:
            raise SlotUnavailable()
    return offer
