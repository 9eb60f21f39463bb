"""The words the page's script shows, in the page's language: handed to it
in the page itself (a JSON data block), so the script carries no language of
its own and the catalogue holds every sentence of the page."""

from __future__ import annotations

from django.utils.translation import gettext


def script_texts() -> dict[str, str]:
    return {
        "any": gettext("Any stylist"),
        "loading": gettext("Loading…"),
        "unreachable": gettext("We could not reach the salon just now. Please try again."),
        "pick_service": gettext("Choose at least one service."),
        "pick_time": gettext("Choose a time."),
        "full_day": gettext("No free times on this day."),
        "full": gettext("full"),
        "free_times": gettext("{n} free times"),
        "closed": gettext("no free times"),
        "taken": gettext("Sorry, someone has just booked that time. These are the nearest free times:"),
        "taken_none": gettext("Sorry, someone has just booked that time, and nothing else is free that day."),
        "too_many": gettext(
            "This phone number already has the most upcoming bookings this salon takes online. "
            "Please call the salon to book more."
        ),
        "already_booked": gettext(
            "This phone number already has a booking at that time. Its WhatsApp confirmation has the details."
        ),
        "rate_limited": gettext("Too many attempts. Please wait a minute and try again."),
        "refused": gettext("We could not book this. Please check the details and try again."),
        "booked": gettext("You're booked!"),
        "booked_pending": gettext("Your booking request is in; the salon will confirm it."),
        "whatsapp_sent": gettext("We've sent a WhatsApp confirmation to {phone}."),
        "with": gettext("with {name}"),
        "waitlist_joined": gettext("You're on the waitlist for {day}. We'll send you a WhatsApp message if a time frees up."),
        "waitlist_refused": gettext("We could not add you to the waitlist. Please check your name and phone."),
        "visit_waitlist": gettext("No free times on this day for these services together. Please try another day."),
        "step": gettext("Step {n} of 5"),
    }
