"""Reads of a salon's customers. A customer is known from their bookings by
phone (E.164): there is no customer table, so the directory is the salon's
bookings grouped by phone, in one aggregated query per page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery

from bookings.models import Booking, CustomerNote
from salons.models import Salon
from salons.phones import normalize_phone, region_of

PAGE_SIZE = 25

# What erasure and retention leave in place of a customer's personal data.
# The phone is in the +999 country code, which the ITU keeps unassigned: it
# has the shape of an E.164 number but reaches nobody and never matches a
# typed phone (normalize_phone refuses it).
ERASED_NAME = "Erased customer"
ERASED_PHONE = "+99900000000"

_S = Booking.Status


def salon_region(salon: Salon) -> str:
    """The region a phone typed without a country code is read in."""
    return region_of(salon.whatsapp_phone) or "GB"


def _matching_phones(salon: Salon, query: str) -> QuerySet[Booking, Any]:
    """Phones of the salon's customers whose phone is ``query`` (typed any
    way) or who gave a name containing it in any of their bookings."""
    matches = Q(customer_name__icontains=query)
    try:
        matches |= Q(customer_phone=normalize_phone(query, default_region=salon_region(salon)))
    except ValueError:
        digits = "".join(ch for ch in query if ch.isdigit())
        if len(digits) >= 4:  # the end of a number, e.g. "123456"
            matches |= Q(customer_phone__contains=digits)
    return Booking.objects.filter(salon=salon).filter(matches).values("customer_phone")


def customer_directory(*, salon: Salon, query: str = "", page: Any = 1, per_page: int = PAGE_SIZE) -> Page:
    """One page of the salon's customers, the most recently booked first.

    Each row is a dict: ``phone``, ``name`` (of their latest booking),
    ``reference`` (of that booking: pages link to a customer by it, so no
    phone travels in a URL), ``bookings``, ``completed``, ``no_shows``,
    ``cancellations``, ``last_visit`` (start of the latest completed one),
    ``note``. Two queries whatever the page holds: the count and the page.
    """
    bookings = Booking.objects.filter(salon=salon).exclude(customer_phone=ERASED_PHONE)
    query = query.strip()
    if query:
        bookings = bookings.filter(customer_phone__in=_matching_phones(salon, query))
    latest = Booking.objects.filter(salon=salon, customer_phone=OuterRef("customer_phone")).order_by(
        "-created_at", "-id"
    )
    note = CustomerNote.objects.filter(salon=salon, customer_phone=OuterRef("customer_phone")).values("note")[:1]
    rows = (
        bookings.values("customer_phone")
        .annotate(
            bookings=Count("id"),
            completed=Count("id", filter=Q(status=_S.COMPLETED)),
            no_shows=Count("id", filter=Q(status=_S.NO_SHOW)),
            cancellations=Count("id", filter=Q(status=_S.CANCELLED)),
            last_visit=Max("start", filter=Q(status=_S.COMPLETED)),
            last_booked=Max("created_at"),
            name=Subquery(latest.values("customer_name")[:1]),
            reference=Subquery(latest.values("reference")[:1]),
            note=Subquery(note),
        )
        .order_by("-last_booked", "customer_phone")
    )
    return Paginator(rows, per_page).get_page(page)


@dataclass(frozen=True)
class Customer:
    """One customer of a salon with every booking they made there."""

    phone: str
    name: str
    email: str
    bookings: list[Booking]
    note: str

    def _count(self, status: str) -> int:
        return sum(1 for b in self.bookings if b.status == status)

    @property
    def completed(self) -> int:
        return self._count(_S.COMPLETED)

    @property
    def no_shows(self) -> int:
        return self._count(_S.NO_SHOW)

    @property
    def cancellations(self) -> int:
        return self._count(_S.CANCELLED)

    @property
    def last_visit(self) -> Any:
        visits = [b.start for b in self.bookings if b.status == _S.COMPLETED]
        return max(visits) if visits else None


def phone_of_booking(*, salon: Salon, reference: str) -> str | None:
    """The phone of the customer who made booking ``reference`` at ``salon``;
    None for another salon's booking, an unknown one or an erased customer."""
    phone = Booking.objects.filter(salon=salon, reference=reference).values_list("customer_phone", flat=True).first()
    return None if phone in (None, ERASED_PHONE) else phone


def customer_for_phone(*, salon: Salon, phone: str) -> Customer | None:
    """The customer with ``phone`` at ``salon``, their bookings newest first
    (two queries), or None when they have none there."""
    bookings = list(
        Booking.objects.filter(salon=salon, customer_phone=phone)
        .select_related("service", "staff_member")
        .order_by("-start", "-id")
    )
    if not bookings:
        return None
    latest = max(bookings, key=lambda b: (b.created_at, b.pk))
    note = CustomerNote.objects.filter(salon=salon, customer_phone=phone).values_list("note", flat=True).first()
    return Customer(
        phone=phone, name=latest.customer_name, email=latest.customer_email, bookings=bookings, note=note or ""
    )
