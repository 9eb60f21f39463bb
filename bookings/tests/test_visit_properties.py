"""Visits against an independent oracle, over random salons.

Each example builds a salon (slot length, services with and without
processing, staff doing random services, a resource some services need),
books a few random visits, then asks for a random visit. The oracle works
minute by minute from the rows that mean something to a salon: the
available slots of each staff member, and the parts of the active bookings
(not the holds the code under test writes). It must agree with
``free_visits`` on every start, and booking must agree with both: every
offered start books, every start not offered is refused.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookings.models import Booking, BookingPart
from bookings.services import Actor, BookingRequest, Customer, PartRequest, booking_create
from resources.models import Resource
from resources.services import resource_save
from salonbook.errors import DomainError
from salons.models import StaffMember
from salons.tests.factories import SalonFactory, ServiceFactory, StaffMemberFactory
from slots.models import Slot
from slots.selectors import day_bounds
from slots.services import slots_generate
from slots.visits import PartAsk, free_visits

pytestmark = pytest.mark.django_db

CELL = 5 * 60
MINUTE = 60


class Rollback(Exception):
    pass


services_st = st.lists(
    st.tuples(
        st.sampled_from([15, 30, 45, 60, 90]),  # duration
        st.sampled_from([0, 0, 5, 10, 15]),  # buffer
        st.sampled_from([None, (15, 15), (15, 30), (30, 30)]),  # processing (after, for)
        st.booleans(),  # needs the resource
    ),
    min_size=1,
    max_size=3,
)


@st.composite
def salons(draw):
    return {
        "slot": draw(st.sampled_from([10, 15, 20, 30])),
        # The first service always has a processing phase, and is asked for often.
        "services": [(90, draw(st.sampled_from([0, 15])), (30, 30), draw(st.booleans())), *draw(services_st)],
        "staff": draw(st.lists(st.sets(st.integers(0, 3), min_size=1), min_size=1, max_size=3)),
        "quantity": draw(st.integers(1, 2)),
        "booked": draw(
            st.lists(st.tuples(st.integers(0, 48), st.lists(st.integers(0, 3), min_size=1, max_size=2)), max_size=10)
        ),
        "ask": draw(
            st.lists(
                st.tuples(st.sampled_from([0, 0, 1, 2, 3]), st.one_of(st.none(), st.integers(0, 2))),
                min_size=1,
                max_size=3,
            )
        ),
    }


def build(spec):
    salon = SalonFactory(slot_minutes=spec["slot"], minimum_notice_minutes=0)
    services = []
    for n, (duration, buffer, processing, _needs) in enumerate(spec["services"]):
        after, length = processing if processing and processing[0] + processing[1] < duration else (0, 0)
        services.append(
            ServiceFactory(
                salon=salon,
                name=f"S{n}",
                duration_minutes=duration,
                buffer_minutes=buffer,
                processing_after_minutes=after,
                processing_minutes=length,
            )
        )
    staff = [
        StaffMemberFactory(
            salon=salon, services=[services[i % len(services)] for i in does], hours=(dt.time(9), dt.time(17))
        )
        for does in spec["staff"]
    ]
    resource_save(
        resource=Resource(salon=salon, name="Station", quantity=spec["quantity"]),
        services=[s for s, (_, _, _, needs) in zip(services, spec["services"], strict=True) if needs],
    )
    slots_generate(salon=salon, days=4)
    return salon, services, staff


def oracle(salon, day, asks, now):
    """Starts (epoch seconds) at which the visit fits, worked out minute by minute."""
    services = [a.service for a in asks]
    free_minutes: dict[int, set[int]] = {}
    slot_starts: dict[int, set[int]] = {}
    for staff_id, start, end in Slot.objects.filter(salon=salon, status=Slot.Status.AVAILABLE).values_list(
        "staff_member_id", "start", "end"
    ):
        s, e = int(start.timestamp()), int(end.timestamp())
        free_minutes.setdefault(staff_id, set()).update(range(s, e, MINUTE))
        slot_starts.setdefault(staff_id, set()).add(s)
    resource = Resource.objects.get(salon=salon)
    needing = set(resource.services.values_list("pk", flat=True))
    used: Counter[int] = Counter()
    by_booking: dict[int, set[int]] = {}
    for booking_id, start, end in BookingPart.objects.filter(
        booking__salon=salon, booking__status__in=Booking.ACTIVE_STATUSES, service_id__in=needing
    ).values_list("booking_id", "start", "end"):
        s, e = int(start.timestamp()), int(end.timestamp())
        by_booking.setdefault(booking_id, set()).update(c // CELL * CELL for c in range(s, e, MINUTE))
    for touched in by_booking.values():
        used.update(touched)

    def staff_free(staff_id, a, b):
        return all(m in free_minutes.get(staff_id, ()) for m in range(a, b, MINUTE))

    def doers(service, chosen):
        pool = set(service.staff.filter(is_active=True).values_list("pk", flat=True))
        return sorted(pool & {chosen}) if chosen is not None else sorted(pool)

    tz = salon.tz
    begin = dt.datetime.combine(day, dt.time.min, tzinfo=tz).timestamp()
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz).timestamp()
    first_doers = doers(services[0], asks[0].staff_member_id)
    found = set()
    for t in sorted({s for sid in first_doers for s in slot_starts.get(sid, ())}):
        if not (begin <= t < end) or t <= now.timestamp():
            continue
        cursor, mine, fits = t, set(), True
        for n, ask in enumerate(asks):
            service = ask.service
            duration = service.duration_minutes * MINUTE
            if service.pk in needing:
                cells = {c // CELL * CELL for c in range(cursor, cursor + duration, MINUTE)}
                if any(used[c] >= resource.quantity for c in cells - mine):
                    fits = False
                    break
                mine |= cells
            busy = (service.duration_minutes + service.buffer_minutes) * MINUTE
            if service.processing_minutes:  # the stylist is free while it processes
                paused = cursor + service.processing_after_minutes * MINUTE
                periods = [(cursor, paused), (paused + service.processing_minutes * MINUTE, cursor + busy)]
            else:
                periods = [(cursor, cursor + busy)]
            if not any(
                (n > 0 or t in slot_starts.get(sid, ())) and all(staff_free(sid, a, b) for a, b in periods)
                for sid in doers(service, ask.staff_member_id)
            ):
                fits = False
                break
            cursor += busy
        if fits:
            found.add(t)
    return found


def try_book(salon, services_and_staff, start, now, phone="+447911123456"):
    first_service, first_staff = services_and_staff[0]
    request = BookingRequest(
        salon=salon,
        service=first_service,
        staff_member=first_staff,
        start=start,
        customer=Customer("Ana Silva", phone),
        then=tuple(PartRequest(s, m) for s, m in services_and_staff[1:]),
    )
    return booking_create(request=request, actor=Actor.staff(None), now=now)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(spec=salons())
def test_offered_visits_match_the_oracle_and_book(spec):
    try:
        with transaction.atomic():
            check(spec)
            raise Rollback
    except Rollback:
        pass


def check(spec):
    salon, services, staff = build(spec)
    tz = salon.tz
    day = dt.date.today() + dt.timedelta(days=2)
    now = dt.datetime.now(dt.UTC)
    # A few visits already booked, where they fit.
    for n, (offset, which) in enumerate(spec["booked"]):
        start = dt.datetime.combine(day, dt.time(9), tzinfo=tz) + dt.timedelta(
            minutes=offset % (480 // spec["slot"]) * spec["slot"]
        )
        chosen = []
        for i in which:
            service = services[i % len(services)]
            member = StaffMember.objects.filter(salon=salon, services=service).order_by("?").first()
            if member is None:
                break
            chosen.append((service, member))
        if chosen:
            try:
                with transaction.atomic():
                    try_book(salon, chosen, start, now, phone=f"+4479111234{n:02d}")
            except DomainError:
                pass
    asks = [
        PartAsk(services[i % len(services)], staff[s].pk if s is not None and s < len(staff) else None)
        for i, s in spec["ask"]
    ]
    offered = {
        int(v.start.timestamp()): v
        for v in free_visits(salon=salon, first_day=day, days=1, asks=asks, now=now).get(day, [])
    }
    expected = oracle(salon, day, asks, now)
    assert set(offered) == expected
    # Every offered start books (with the parts availability gave); every other slot start is refused.
    members = {m.pk: m for m in StaffMember.objects.filter(salon=salon)}
    for visit in list(offered.values())[:6]:
        with transaction.atomic():
            booking = try_book(salon, [(p.service, members[p.staff_member_id]) for p in visit.parts], visit.start, now)
            assert booking.pk
            transaction.set_rollback(True)
    begin, end = day_bounds(salon, day)
    day_starts = Slot.objects.filter(salon=salon, start__gte=begin, start__lt=end).values_list("start", flat=True)
    refused = sorted({int(s.timestamp()) for s in day_starts} - set(offered))
    choices = [
        [members[a.staff_member_id]] if a.staff_member_id else list(a.service.staff.filter(is_active=True))
        for a in asks
    ]
    for seconds in refused[:4]:
        start = dt.datetime.fromtimestamp(seconds, tz)
        # Not offered to "anyone": no choice of staff members books it.
        for chosen in itertools.product(*choices):
            with pytest.raises(DomainError), transaction.atomic():
                try_book(salon, [(a.service, m) for a, m in zip(asks, chosen, strict=True)], start, now)
