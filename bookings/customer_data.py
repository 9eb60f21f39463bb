"""Customers' data rights at a salon: the staff note, erasure, export, and the
retention period after which bookings keep no personal data.

Erasing replaces the name, phone and email in the bookings rather than
deleting them: the salon's counts and reports stay true, and the history
says who erased what and when.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from bookings import signals
from bookings.customers import ERASED_NAME, ERASED_PHONE
from bookings.messages.about import booking_subject
from bookings.models import Booking, BookingStatusChange, CustomerNote
from bookings.services import Actor
from messaging.kinds import Kind
from messaging.models import InboundReply, Message
from messaging.selectors import messages_by_subject
from salonbook.errors import InvalidInput, NotFound
from salonbook.events import send_on_commit
from salons.models import Salon

NOTE_MAX_CHARS = 2000
RETENTION_BATCH = 500
# Messages that have not left yet; one already with the provider cannot be recalled.
_UNSENT = (Message.Status.SCHEDULED, Message.Status.QUEUED)


def _history(booking_id: int, status: str, actor: Actor, note: str, now: dt.datetime) -> BookingStatusChange:
    """A history row that records an action on the booking without a change of status."""
    user: Any = actor.user if actor.user is not None and actor.user.is_authenticated else None
    return BookingStatusChange(
        booking_id=booking_id,
        from_status=status,
        to_status=status,
        actor=actor.kind,
        actor_user=user,
        changed_at=now,
        note=note[:200],
    )


def customer_note_save(*, salon: Salon, phone: str, note: str) -> CustomerNote | None:
    """Set the staff note on the customer ``phone``; an empty note removes it."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX_CHARS:
        raise InvalidInput(details={"note": [f"Use at most {NOTE_MAX_CHARS} characters."]})
    if not Booking.objects.filter(salon=salon, customer_phone=phone).exists():
        raise NotFound("No customer with that phone at this salon.")
    if not note:
        CustomerNote.objects.filter(salon=salon, customer_phone=phone).delete()
        return None
    saved, _ = CustomerNote.objects.update_or_create(salon=salon, customer_phone=phone, defaults={"note": note})
    return saved


def _scrub(booking_ids: list[int]) -> None:
    """Personal data out of these bookings, and their unsent messages cancelled."""
    Booking.objects.filter(pk__in=booking_ids).update(
        customer_name=ERASED_NAME, customer_phone=ERASED_PHONE, customer_email="", updated_at=timezone.now()
    )
    subjects = [booking_subject(booking_id) for booking_id in booking_ids]
    Message.objects.filter(subject__in=subjects, status__in=_UNSENT).update(
        status=Message.Status.CANCELLED, last_error="personal data erased", updated_at=timezone.now()
    )
    # The customer's number on the messages to them (not the salon's alerts) and their replies.
    Message.objects.filter(subject__in=subjects).exclude(
        kind__in=[kind for kind in Kind if kind.is_salon_alert]
    ).update(to=ERASED_PHONE, updated_at=timezone.now())
    InboundReply.objects.filter(subject__in=subjects).update(from_phone=ERASED_PHONE, text="")


def customer_erase(*, salon: Salon, phone: str, actor: Actor, now: dt.datetime | None = None) -> int:
    """Replace the customer ``phone``'s name, phone and email in every booking
    at ``salon`` (other salons keep theirs), delete the staff note, cancel the
    messages not yet sent to them, and record it in each booking's history.
    The bookings, their statuses and so every count stay. Returns how many
    bookings were changed; raises ``NotFound`` when there are none."""
    now = now or timezone.now()
    with transaction.atomic():
        # Locked so that a booking changed meanwhile (moved, cancelled) is erased as it is now.
        rows = list(
            Booking.objects.select_for_update()
            .filter(salon=salon, customer_phone=phone)
            .order_by("pk")
            .values_list("pk", "status", "staff_member_id")
        )
        if not rows or phone == ERASED_PHONE:
            raise NotFound("No customer with that phone at this salon.")
        ids = [pk for pk, _, _ in rows]
        _scrub(ids)
        BookingStatusChange.objects.bulk_create(
            [_history(pk, status, actor, "customer's personal data erased", now) for pk, status, _ in rows]
        )
        CustomerNote.objects.filter(salon=salon, customer_phone=phone).delete()
        send_on_commit(
            signals.personal_data_erased,
            sender=Booking,
            booking_ids=ids,
            staff_member_ids={member for _, _, member in rows},
            reason="erased",
        )
    return len(ids)


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value else None


def customer_export(*, salon: Salon, phone: str, actor: Actor, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything the salon keeps about the customer ``phone``, JSON-ready:
    their bookings with each one's history and messages, and the staff note.
    The export itself is recorded in each booking's history (a copy of
    personal data left the system, and who took it). Raises ``NotFound``."""
    now = now or timezone.now()
    with transaction.atomic():
        bookings = list(
            Booking.objects.filter(salon=salon, customer_phone=phone)
            .select_related("service", "staff_member")
            .prefetch_related("history")
            .order_by("start", "pk")
        )
        if not bookings or phone == ERASED_PHONE:
            raise NotFound("No customer with that phone at this salon.")
        note = CustomerNote.objects.filter(salon=salon, customer_phone=phone).first()
        messages = messages_by_subject(subjects=[booking_subject(b.pk) for b in bookings])
        data = {
            "exported_at": _iso(now),
            "salon": {"name": salon.name, "address": salon.address, "phone": salon.whatsapp_phone},
            "customer": {"phone": phone},
            "note": {"text": note.note, "updated_at": _iso(note.updated_at)} if note else None,
            "bookings": [_booking_data(b, messages[booking_subject(b.pk)]) for b in bookings],
        }
        BookingStatusChange.objects.bulk_create(
            [_history(b.pk, b.status, actor, "customer's data exported", now) for b in bookings]
        )
    return data


def _booking_data(booking: Booking, messages: list[Message]) -> dict[str, Any]:
    return {
        "reference": booking.reference,
        "status": booking.status,
        "start": _iso(booking.start),
        "end": _iso(booking.end),
        "service": booking.service.name,
        "price": str(booking.service.price),
        "staff_member": booking.staff_member.name,
        "customer_name": booking.customer_name,
        "customer_phone": booking.customer_phone,
        "customer_email": booking.customer_email,
        "created_at": _iso(booking.created_at),
        "history": [
            {
                "from_status": change.from_status,
                "to_status": change.to_status,
                "changed_at": _iso(change.changed_at),
                "by": change.actor,
                "note": change.note,
            }
            for change in booking.history.all()
        ],
        "messages": [
            {"kind": r.kind, "status": r.status, "due_at": _iso(r.due_at), "sent_at": _iso(r.sent_at)}
            for r in messages
        ],
    }


# --- Retention ------------------------------------------------------------------------


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """``moment`` moved back ``months`` calendar months, the day clamped to the
    month's length (31 March - 1 month = 28 or 29 February)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - dt.timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def personal_data_retention_run(*, months: int, now: dt.datetime, batch_size: int = RETENTION_BATCH) -> int:
    """Replace the personal data in every booking that ended more than
    ``months`` months before ``now`` (0: keep it forever), in batches of
    ``batch_size``, each its own transaction so a long run holds no lock for
    long; rows locked by a booking change are skipped until the next run.
    Already erased bookings are left alone, so a second run changes
    nothing. A booking still ahead never qualifies: the cut-off is in the
    past. Notes of customers left with no booking are deleted. Returns how
    many bookings were changed."""
    if months <= 0:
        return 0
    cutoff = months_before(now, months)
    actor = Actor.system()
    note = f"personal data removed after the {months}-month retention period"
    changed, last_pk = 0, 0
    while True:
        with transaction.atomic():
            # Walked by primary key, so every run ends after one pass over the table.
            rows = list(
                Booking.objects.select_for_update(skip_locked=True)
                .filter(end__lt=cutoff, pk__gt=last_pk)
                .exclude(customer_phone=ERASED_PHONE)
                .order_by("pk")
                .values_list("pk", "status", "salon_id", "customer_phone", "staff_member_id")[:batch_size]
            )
            if not rows:
                return changed
            ids = [row[0] for row in rows]
            last_pk = ids[-1]
            _scrub(ids)
            BookingStatusChange.objects.bulk_create([_history(pk, status, actor, note, now) for pk, status, *_ in rows])
            _delete_orphan_notes(salon_ids={row[2] for row in rows}, phones={row[3] for row in rows})
            send_on_commit(
                signals.personal_data_erased,
                sender=Booking,
                booking_ids=ids,
                staff_member_ids={row[4] for row in rows},
                reason="retention",
            )
        changed += len(rows)


def _delete_orphan_notes(*, salon_ids: set[int], phones: set[str]) -> None:
    """Notes on customers who no longer have a booking at that salon."""
    still_booked = Booking.objects.filter(salon_id=OuterRef("salon_id"), customer_phone=OuterRef("customer_phone"))
    CustomerNote.objects.filter(salon_id__in=salon_ids, customer_phone__in=phones).exclude(
        Exists(still_booked)
    ).delete()
