import datetime as dt
from decimal import Decimal

import pytest

from salons.tests.factories import SalonFactory, ServiceFactory, StaffMemberFactory
from slots.services import slots_sync_for_staff


@pytest.fixture
def page_salon(db):
    """A salon as its booking page shows it: two stylists working 09:00-17:00
    every day, a cut both do and a colour only one does."""
    salon = SalonFactory(
        name="Studio Lumen",
        slug="lumen",
        address="12 Mill Lane, Bristol",
        whatsapp_phone="+447911123000",
        cancellation_cutoff_hours=24,
        booking_window_days=40,
        online_bookings_per_phone=3,
    )
    cut = ServiceFactory(salon=salon, name="Cut", duration_minutes=30, price=Decimal("35.00"))
    colour = ServiceFactory(salon=salon, name="Colour", duration_minutes=60, price=Decimal("80.00"))
    ServiceFactory(salon=salon, name="Retired", is_active=False)
    hours = (dt.time(9), dt.time(17))
    alice = StaffMemberFactory(salon=salon, name="Alice", services=[cut, colour], hours=hours)
    ben = StaffMemberFactory(salon=salon, name="Ben", services=[cut], hours=hours)
    for member in (alice, ben):
        slots_sync_for_staff(staff_member=member, days=21)
    salon.cut, salon.colour, salon.alice, salon.ben = cut, colour, alice, ben
    return salon
