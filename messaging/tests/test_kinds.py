"""Message kinds: one enum answers what callers ask of a kind."""

import pytest

from messaging.kinds import Kind
from messaging.models import Message


@pytest.mark.parametrize("value", ["reminder_24h", "reminder_2h", "reminder_90m", "reminder_1d"])
def test_every_reminder_offset_is_a_reminder_kind_whatever_the_setting_lists(value):
    kind = Kind(value)
    assert kind == value and kind.is_reminder and kind.about_the_time
    assert kind.template_name == "reminder"
    assert kind.label == f"Reminder {value.removeprefix('reminder_')} before"


def test_a_kind_made_for_an_offset_names_the_offset_in_its_label(db):
    assert Message(kind="reminder_90m").kind_label == "Reminder 90m before"
    assert Message(kind="booking_confirmed").kind_label == "Booking confirmed"


@pytest.mark.parametrize("value", ["reminder_", "reminder_24x", "reminders_24h", "booking", "reminder_24h "])
def test_other_strings_are_not_kinds(value):
    with pytest.raises(ValueError):
        Kind(value)


def test_which_kinds_state_the_appointments_time_and_which_are_salon_alerts():
    assert {k for k in Kind if k.about_the_time and not k.is_reminder} == {
        Kind.BOOKING_RECEIVED, Kind.BOOKING_CONFIRMED, Kind.BOOKING_MOVED,
    }
    assert {k for k in Kind if k.is_salon_alert} == {Kind.SALON_NEW_BOOKING, Kind.SALON_CANCELLED_BOOKING}
    assert not any(k.is_reminder for k in (Kind.CANCEL_RECEIPT, Kind.BOOKING_CANCELLED, Kind.WAITLIST_OFFER))
