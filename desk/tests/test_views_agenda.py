"""The staff day agenda: a grid of staff columns and the day's bookings."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.selectors import agenda_for_day
from bookings.services import Actor, booking_cancel
from bookings.tests.factories import make_booking, next_local
from salons.tests.factories import SalonFactory, StaffMemberFactory
from slots.holds import Holder, holds_place
from slots.models import Slot
from slots.services import slots_sync_for_staff

pytestmark = pytest.mark.django_db


def agenda(client, salon, **params):
    return client.get(reverse("staff:agenda", kwargs={"slug": salon.slug}), params)


def tomorrow(salon):
    return timezone.localdate(timezone=salon.tz) + dt.timedelta(days=1)


def test_agenda_shows_the_days_bookings_in_the_salons_time(client, salon, service, staff_member, staff_of_salon):
    make_booking(service=service, staff_member=staff_member, start=next_local(salon, at=dt.time(10)), name="Maya Patel")
    client.force_login(staff_of_salon)

    response = agenda(client, salon, date=tomorrow(salon).isoformat())

    body = response.content.decode()
    assert response.status_code == 200
    assert "Maya Patel" in body and "Cut" in body and "Confirmed" in body
    assert "10:00–10:30" in body  # London wall clock, not UTC
    assert staff_member.name in body


def test_cancelled_bookings_leave_the_grid_and_are_listed_below(client, salon, service, staff_member, staff_of_salon):
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(salon), name="Tom Hughes")
    booking_cancel(booking=booking, actor=Actor.staff(staff_of_salon))
    client.force_login(staff_of_salon)

    body = agenda(client, salon, date=tomorrow(salon).isoformat()).content.decode()

    assert "Cancelled on this day (1)" in body
    assert 'class="block booking' not in body


def test_free_times_link_to_a_desk_booking_at_that_time(client, salon, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    body = agenda(client, salon, date=tomorrow(salon).isoformat()).content.decode()
    start = next_local(salon, at=dt.time(10)).astimezone(dt.UTC).isoformat().replace("+", "%2B").replace(":", "%3A")
    assert f"staff={staff_member.pk}&amp;date={tomorrow(salon).isoformat()}&amp;start={start}" in body


def test_time_held_for_a_waitlist_offer_is_marked_on_the_grid(client, salon, staff_member, staff_of_salon):
    slots_sync_for_staff(staff_member=staff_member, days=2)
    held = Slot.objects.get(staff_member=staff_member, start=next_local(salon, at=dt.time(11)))
    holds_place(salon=salon, slots=[held], holder=Holder.offer(1))
    client.force_login(staff_of_salon)
    body = agenda(client, salon, date=tomorrow(salon).isoformat()).content.decode()
    assert 'class="cell held"' in body and "11:00 held for a waitlist offer" in body
    assert "Book " + staff_member.name + " at 11:00" not in body


def test_previous_and_next_day_links_and_a_bad_date_falls_back_to_today(client, salon, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    day = tomorrow(salon)
    body = agenda(client, salon, date=day.isoformat()).content.decode()
    assert f"?date={(day - dt.timedelta(days=1)).isoformat()}" in body
    assert f"?date={(day + dt.timedelta(days=1)).isoformat()}" in body

    response = agenda(client, salon, date="not-a-date")
    assert response.status_code == 200
    assert 'aria-current="date"' in response.content.decode()


def test_staff_member_can_show_only_their_own_column(client, salon, service, staff_member, staff_of_salon):
    colleague = StaffMemberFactory(salon=salon, name="Zed Colleague", services=[service])
    slots_sync_for_staff(staff_member=colleague, days=3)
    client.force_login(staff_of_salon)

    everyone = agenda(client, salon, date=tomorrow(salon).isoformat()).content.decode()
    mine = agenda(client, salon, date=tomorrow(salon).isoformat(), staff=staff_member.pk).content.decode()

    assert everyone.count('class="col-head"') == 2
    assert mine.count('class="col-head"') == 1
    assert "Zed Colleague</strong>" not in mine
    assert "Only me" in mine
    assert f'<option value="{colleague.pk}">Zed Colleague</option>' in mine  # still in the menu


def test_an_admin_on_another_salons_staff_has_no_column_of_their_own_here(client, salon, staff_member, admin_user):
    StaffMemberFactory(salon=SalonFactory(name="Their Own Salon"), user=admin_user, name="Admin Elsewhere", hours=False)
    client.force_login(admin_user)
    body = agenda(client, salon, date=tomorrow(salon).isoformat()).content.decode()
    assert "Only my column" not in body and "Only me" not in body


def test_pending_bookings_are_listed_with_a_confirm_button(client, salon, service, staff_member, staff_of_salon):
    salon.auto_confirm = False
    salon.save()
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(salon), name="Ana Silva")
    client.force_login(staff_of_salon)

    body = agenda(client, salon, date=tomorrow(salon).isoformat()).content.decode()

    assert "Waiting for confirmation" in body
    assert reverse("staff:booking_move", kwargs={"reference": booking.reference, "move": "confirm"}) in body


def _busy_day(salon, service, staffs, hours):
    for n, member in enumerate(staffs):
        for hour in hours:
            start = next_local(salon, at=dt.time(hour))
            # A guest per chair: one phone has one booking at a start.
            make_booking(service=service, staff_member=member, start=start, name="Guest", phone=f"+4479111234{n:02d}")


def test_agenda_selector_reads_the_day_in_four_queries(salon, service, staff_member, django_assert_num_queries):
    others = [StaffMemberFactory(salon=salon, services=[service]) for _ in range(2)]
    for member in others:
        slots_sync_for_staff(staff_member=member, days=3)
    _busy_day(salon, service, [staff_member, *others], range(9, 13))

    # The staff, the slots, the bookings and their parts.
    with django_assert_num_queries(4):
        day = agenda_for_day(salon=salon, day=tomorrow(salon))
        bookings = [(b.customer_name, b.service.name, b.staff_member.name) for b in day.bookings]
        slot_owners = {s.staff_member.name for s in day.slots}

    assert len(bookings) == 12 and len(day.staff) == 3 and len(slot_owners) == 3


def test_agenda_page_reads_in_a_fixed_number_of_queries(
    client, salon, service, staff_member, staff_of_salon, django_assert_max_num_queries
):
    staffs = [staff_member] + [StaffMemberFactory(salon=salon, services=[service]) for _ in range(3)]
    for member in staffs[1:]:
        slots_sync_for_staff(staff_member=member, days=3)
    client.force_login(staff_of_salon)
    url = reverse("staff:agenda", kwargs={"slug": salon.slug})
    params = {"date": tomorrow(salon).isoformat()}

    _busy_day(salon, service, staffs, range(9, 10))
    # Nine for the grid and the lists (the bookings' parts among them), two
    # for the resources' day, two for the day's waitlist.
    with django_assert_max_num_queries(13) as quiet_day:
        client.get(url, params)
    _busy_day(salon, service, staffs, range(10, 17))
    with django_assert_max_num_queries(len(quiet_day.captured_queries)):
        response = client.get(url, params)

    assert response.content.decode().count('class="block booking') == 4 * 8


def test_grid_merges_a_blocked_run_and_draws_the_now_line(salon, staff_member):
    from desk.agenda_layout import lay_out_day
    from slots.services import slots_block_range

    day = tomorrow(salon)
    slots_block_range(staff_member=staff_member, start=next_local(salon, at=dt.time(12)), end=next_local(salon, at=dt.time(13)), reason="Lunch")
    slots_block_range(staff_member=staff_member, start=next_local(salon, at=dt.time(13)), end=next_local(salon, at=dt.time(13, 30)), reason="Errand")
    now = next_local(salon, at=dt.time(10, 7))

    def build_grid(now):
        agenda_day = agenda_for_day(salon=salon, day=day)
        return lay_out_day(
            day=day,
            tz=salon.tz,
            slot_minutes=salon.slot_minutes,
            staff=agenda_day.staff,
            slots=agenda_day.slots,
            bookings=agenda_day.bookings,
            now=now,
            book_url=reverse("staff:desk_booking", kwargs={"slug": salon.slug}),
        )

    grid = build_grid(now)

    blocked = [(b.label, b.time_label, len(b.slot_ids)) for b in grid.blocks if b.kind == "blocked"]
    assert blocked == [("Lunch", "12:00–13:00", 4), ("Errand", "13:00–13:30", 2)]
    assert grid.now_style and "margin-top" in grid.now_style
    free_times = [cell.time_label for cell in grid.cells if cell.kind == "free"]
    assert "10:00" not in free_times and "10:15" in free_times  # the past is not offered

    other_day = build_grid(now - dt.timedelta(days=1))
    assert other_day.now_style == ""
