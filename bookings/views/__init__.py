"""The pages of bookings that are not the front desk's: ``manage`` (the
customer's own page), ``calendar`` (staff calendar feeds) and ``customers``."""
