"""What a message says, as an enum with the properties callers ask about.

Reminders are ``reminder_<offset>`` (``reminder_24h``, ``reminder_90m``): the
offsets are a setting (``REMINDER_OFFSETS``), so a reminder kind that is not
listed below still parses (``Kind("reminder_90m")``) into a member made on
demand, with the same properties as the listed ones.
"""

from __future__ import annotations

import re

from django.db import models

REMINDER_PREFIX = "reminder_"
_REMINDER = re.compile(r"reminder_(\d+[mhd])")


class Kind(models.TextChoices):
    BOOKING_RECEIVED = "booking_received", "Booking received"
    BOOKING_CONFIRMED = "booking_confirmed", "Booking confirmed"
    BOOKING_MOVED = "booking_moved", "Booking moved"
    BOOKING_CANCELLED = "booking_cancelled", "Cancelled by the salon"
    CANCEL_RECEIPT = "cancel_receipt", "Cancellation receipt"
    CANCEL_REFUSED = "cancel_refused", "Cancellation refused"
    REMINDER_24H = "reminder_24h", "Reminder 24h before"
    REMINDER_2H = "reminder_2h", "Reminder 2h before"
    SALON_NEW_BOOKING = "salon_new_booking", "Salon alert: new online booking"
    SALON_CANCELLED_BOOKING = "salon_cancelled_booking", "Salon alert: online cancellation"
    WAITLIST_OFFER = "waitlist_offer", "Waitlist offer"

    @classmethod
    def _missing_(cls, value: object) -> Kind | None:
        """A reminder at an offset not listed above (the offsets are a setting)."""
        if isinstance(value, str) and (match := _REMINDER.fullmatch(value)):
            member = str.__new__(cls, value)
            member._name_ = value.upper()
            member._value_ = value
            member._label_ = f"Reminder {match[1]} before"
            return member
        return None

    @classmethod
    def reminder(cls, offset: str) -> Kind:
        """The reminder kind ``offset`` before the start (``"24h"`` -> ``reminder_24h``)."""
        return cls(f"{REMINDER_PREFIX}{offset}")

    @property
    def is_reminder(self) -> bool:
        return self.value.startswith(REMINDER_PREFIX)

    @property
    def is_salon_alert(self) -> bool:
        return self in (Kind.SALON_NEW_BOOKING, Kind.SALON_CANCELLED_BOOKING)

    @property
    def about_the_time(self) -> bool:
        """It states the appointment's time: untrue once the appointment moved
        or ended (confirmations, move notices, reminders). A cancellation
        notice is not."""
        return self.is_reminder or self in (Kind.BOOKING_RECEIVED, Kind.BOOKING_CONFIRMED, Kind.BOOKING_MOVED)

    @property
    def template_name(self) -> str:
        """The text template's name: every reminder shares one."""
        return "reminder" if self.is_reminder else self.value
