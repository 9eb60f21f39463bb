"""How a booking's messages name it in the outbox: the subject key "booking:<id>"."""

from __future__ import annotations

from messaging.subjects import Subject

BOOKING = "booking"
WAITLIST_OFFER = "waitlist_offer"


def booking_subject(booking_id: int) -> str:
    return Subject(BOOKING, booking_id).key


def booking_id_of(subject: str) -> int | None:
    parsed = Subject.parse(subject)
    return parsed.id if parsed is not None and parsed.kind == BOOKING else None
