"""The domain errors every service raises.

Each error carries a stable ``code`` and the HTTP status it maps to; the API's
exception handler and the staff pages turn them into messages. Services never
raise HTTP errors themselves.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"
    status = 400
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None) -> None:
        self.message = message or self.default_message
        self.details = details or {}
        super().__init__(self.message)


class InvalidInput(DomainError):
    """Input that is well-formed but breaks a rule; ``details`` maps field -> messages."""

    code = "invalid"
    status = 400
    default_message = "Some fields are not valid."


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = "Not found."


class SlotUnavailable(DomainError):
    code = "slot_unavailable"
    status = 409
    default_message = "That time is no longer available."


class AlreadyBooked(DomainError):
    """The customer's phone already holds a live booking at that start at this salon."""

    code = "already_booked"
    status = 409
    default_message = "This phone already has a booking at that time."


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409
    default_message = "That change is not allowed in the current status."


class NotAllowed(DomainError):
    """The rules of the salon keep this caller from doing this."""

    code = "permission_denied"
    status = 403


class OutsideBookingWindow(DomainError):
    code = "outside_booking_window"
    status = 400
    default_message = "That time is outside the period the salon takes bookings for."


class TooShortNotice(DomainError):
    """A start sooner than the salon's minimum notice: a rule about the input, like the window."""

    code = "minimum_notice"
    status = 400
    default_message = "That time is too soon: the salon needs more notice."


class TooManyBookings(DomainError):
    """A customer booking online already holds the salon's limit of upcoming bookings."""

    code = "too_many_bookings"
    status = 409
    default_message = "You already have the most upcoming bookings this salon takes online; please call the salon."


class CancellationClosed(DomainError):
    code = "cancellation_closed"
    status = 409
    default_message = "This booking can no longer be cancelled online; please call the salon."


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    status = 413
    default_message = "The request body is too large."
