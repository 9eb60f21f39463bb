"""The front desk's pages, one module per page's purpose: ``agenda`` (the day
grid, with the waitlist of the day), ``desk_booking`` (booking at the desk),
``booking_detail`` (one booking, its state changes and moving it). ``times``
is how they show days and free times."""
