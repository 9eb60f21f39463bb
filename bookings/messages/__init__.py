"""The messages a booking owes, handed to the outbox (the ``messaging`` app).

The outbox (``messaging``) stores, sends, retries and tracks every WhatsApp
message, exactly once in effect, and knows nothing of bookings. This package
is the bookings side of it:

- ``lifecycle``: what each booking change owes (confirmations, moves,
  cancellations, the salon's alerts), written in the change's transaction.
- ``scheduling``: the reminders a booking owes (``REMINDER_OFFSETS``).
- ``texts``: what a booking's messages say about it, and its manage link;
  ``links`` the click-to-chat link staff open.
- ``about``: the subject key a booking's messages carry ("booking:<id>").
- ``hooks`` and ``replies``: what bookings registers with the outbox at
  start-up: how its messages are worded at send time, which are no longer
  true (a confirmation of a booking cancelled before it went out, a reminder
  for a moved time), and what a customer's reply means (CANCEL cancels
  through ``booking_cancel``).
"""
