"""Reminders follow their booking: scheduled when it is made or confirmed,
cancelled with it, moved with it. Receivers only hand over to the services."""

from __future__ import annotations

from django.dispatch import receiver

from bookings.reminders.scheduling import reminders_cancel, reminders_reschedule, reminders_schedule
from bookings.signals import booking_cancelled, booking_confirmed, booking_created, booking_rescheduled


@receiver(booking_created, dispatch_uid="bookings.reminders.on_created")
@receiver(booking_confirmed, dispatch_uid="bookings.reminders.on_confirmed")
def schedule_reminders(sender, *, booking, **kwargs) -> None:
    reminders_schedule(booking=booking)


@receiver(booking_cancelled, dispatch_uid="bookings.reminders.on_cancelled")
def cancel_reminders(sender, *, booking, **kwargs) -> None:
    reminders_cancel(booking=booking)


@receiver(booking_rescheduled, dispatch_uid="bookings.reminders.on_rescheduled")
def move_reminders(sender, *, booking, **kwargs) -> None:
    reminders_reschedule(booking=booking)
