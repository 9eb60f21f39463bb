"""The staff and customer pages of bookings, one module per page's purpose:
``agenda`` (the day grid), ``desk_booking`` (booking at the desk),
``booking_detail`` (one booking, its state changes and moving it) and
``manage`` (the customer's own page). ``times`` is how they show days and
free times."""
