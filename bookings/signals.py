"""Events of the bookings app, sent after commit by ``bookings.services``.

Every booking event has the same arguments: ``booking`` (the Booking, as
committed) and ``actor`` (``"customer"``, ``"staff"`` or ``"system"``).
``booking_rescheduled`` also has ``previous_start`` (datetime, UTC) and
``previous_staff_member_id`` (int: the same as the booking's unless it moved
to another staff member).
"""

from salonbook.events import NamedSignal

booking_created = NamedSignal("booking_created")
"""A booking was made (status pending, or confirmed when the salon auto-confirms)."""

booking_confirmed = NamedSignal("booking_confirmed")
"""A pending booking was confirmed, by staff or automatically."""

booking_cancelled = NamedSignal("booking_cancelled")
"""A booking was cancelled and its slots released."""

booking_completed = NamedSignal("booking_completed")
"""Staff marked the appointment done."""

booking_no_show = NamedSignal("booking_no_show")
"""Staff marked that the customer did not come."""

booking_rescheduled = NamedSignal("booking_rescheduled")
"""A booking moved to new slots; its status is unchanged."""

BOOKING_EVENTS = (
    booking_created,
    booking_confirmed,
    booking_cancelled,
    booking_completed,
    booking_no_show,
    booking_rescheduled,
)


# --- Message delivery: monitoring counts these ----------------------------------
# Every one has ``message_id`` (int) and ``kind`` (str, e.g. "booking_confirmed",
# "reminder_24h").

message_sent = NamedSignal("message_sent")
"""The provider accepted a message."""

message_retried = NamedSignal("message_retried")
"""A send failed and will be tried again. Also ``error`` (str, no personal data)."""

message_failed = NamedSignal("message_failed")
"""A message gave up for good. Also ``error`` (str, no personal data)."""

message_expired = NamedSignal("message_expired")
"""A message became moot (its appointment passed) before it could go out."""

message_status_reported = NamedSignal("message_status_reported")
"""The provider's webhook moved a sent message on. Also ``status`` (str: delivered, read, failed)."""

breaker_state_changed = NamedSignal("breaker_state_changed")
"""The WhatsApp provider's circuit breaker moved. Args: ``old_state`` (str), ``new_state`` (str: closed, open, half-open)."""


# --- Customers' personal data ------------------------------------------------------

personal_data_erased = NamedSignal("personal_data_erased")
"""Customers' name, phone and email were replaced in bookings (an owner erased
a customer, or the retention period passed), so anything that shows or keeps
them (cached pages, feeds) must be read again. Args: ``booking_ids`` (list of
int), ``staff_member_ids`` (set of int: whose bookings they are), ``reason``
(str: "erased" or "retention")."""
