"""What the outbox asks the bookings app, registered from ``BookingsConfig.ready``.

- How a booking's message is worded: the booking's details as they are when
  it is sent, in its salon's language.
- Whether it is still true: a message about the appointment's time
  (a confirmation, a move notice, a reminder) is not sent once the booking
  has ended or moved from the time it was written for.
- What a reply means (``bookings.messages.replies``).
"""

from __future__ import annotations

from collections.abc import Sequence

from bookings.messages.about import BOOKING, booking_id_of
from bookings.messages.replies import booking_reply_handle
from bookings.messages.texts import booking_context
from bookings.models import Booking
from messaging.kinds import Kind
from messaging.models import Message
from messaging.registry import Description, SubjectHandler, replies_register, subject_register


def booking_message_describe(message: Message) -> Description:
    booking = (
        Booking.objects.select_related("salon", "service", "staff_member")
        .filter(pk=booking_id_of(message.subject) or 0)
        .first()
    )
    if booking is None:
        raise LookupError(f"message {message.pk}: its booking is gone")
    return Description(language=booking.salon.language, context=booking_context(booking))


def booking_messages_untrue(messages: Sequence[Message]) -> dict[int, str]:
    """Of ``messages`` (about bookings), those about a time that no longer holds."""
    about_the_time = [m for m in messages if Kind(m.kind).about_the_time]
    booking_ids = {booking_id_of(m.subject) or 0 for m in about_the_time}
    bookings = {b.pk: b for b in Booking.objects.filter(pk__in=booking_ids).only("id", "status", "start")}
    untrue = {}
    for message in about_the_time:
        booking = bookings.get(booking_id_of(message.subject) or 0)
        if booking is None:
            continue
        if not booking.is_active:
            untrue[message.pk] = "booking no longer active"
        elif message.expires_at is not None and message.expires_at != booking.start:
            untrue[message.pk] = "written for a time the booking has since moved from"
    return untrue


BOOKING_MESSAGES = SubjectHandler(describe=booking_message_describe, untrue=booking_messages_untrue)


def register_with_messaging() -> None:
    subject_register(BOOKING, BOOKING_MESSAGES)
    replies_register(booking_reply_handle)
