"""The agenda grid's layout rules, on objects built in memory.

Rows of the grid start at 2 (row 1 holds the names) and staff columns at 2
(column 1 holds the hours). With 15-minute slots a row is 15 minutes.
"""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from bookings.models import Booking, BookingPart
from desk.agenda_layout import lay_out_day, row_minutes
from salons.models import Service, StaffMember
from slots.models import Slot

LONDON = ZoneInfo("Europe/London")
DAY = dt.date(2030, 7, 1)  # British Summer Time: 10:00 in London is 09:00 UTC
BEFORE_THE_DAY = dt.datetime(2030, 6, 30, 12, tzinfo=dt.UTC)
BOOK_URL = "/staff/salons/demo/book/"
_ids = itertools.count(1)

ANA = StaffMember(pk=1, name="Ana")
BEN = StaffMember(pk=2, name="Ben")


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def slot(member, hour, minute=0, *, minutes=15, status=Slot.Status.AVAILABLE, reason=""):
    start = at(hour, minute)
    return Slot(
        pk=next(_ids),
        staff_member_id=member.pk,
        start=start,
        end=start + dt.timedelta(minutes=minutes),
        status=status,
        block_reason=reason,
    )


def slots_from(member, first: dt.time, last: dt.time, **kwargs):
    """Every 15-minute slot of ``member`` from ``first`` up to ``last``."""
    moment, slots = dt.datetime.combine(DAY, first), []
    while moment.time() < last:
        slots.append(slot(member, moment.hour, moment.minute, **kwargs))
        moment += dt.timedelta(minutes=15)
    return slots


def booking(member, hour, minute=0, *, minutes=30, held=None, status=Booking.Status.CONFIRMED, name="Guest", parts=None):
    """A booking of one service of ``minutes`` (and clean-up up to ``held``),
    or of ``parts``: (member, service) pairs in a row. Its parts are set as
    the agenda selector prefetches them."""
    start = at(hour, minute)
    parts = parts or [(member, Service(name="Cut", duration_minutes=minutes, buffer_minutes=(held or minutes) - minutes))]
    laid_out, moment = [], start
    for position, (part_member, service) in enumerate(parts):
        laid_out.append(
            BookingPart(
                position=position, staff_member_id=part_member.pk, service=service, start=moment,
                end=moment + service.duration,
            )
        )
        moment += service.busy_time
    made = Booking(
        pk=next(_ids),
        staff_member_id=member.pk,
        start=start,
        end=laid_out[-1].end,
        held_until=moment,
        status=status,
        customer_name=name,
    )
    made._prefetched_objects_cache = {"parts": laid_out}
    return made


def lay_out(*, staff=(ANA,), slots=(), bookings=(), now=BEFORE_THE_DAY, slot_minutes=15, day=DAY):
    return lay_out_day(
        day=day,
        tz=LONDON,
        slot_minutes=slot_minutes,
        staff=list(staff),
        slots=list(slots),
        bookings=list(bookings),
        now=now,
        book_url=BOOK_URL,
    )


def placed(items):
    return [(item.column, item.row, item.span) for item in items]


def test_an_empty_day_shows_nine_to_six_with_nothing_placed():
    grid = lay_out()

    assert [hour.label for hour in grid.hours] == [f"{h:02d}:00" for h in range(9, 18)]
    assert grid.rows == 9 * 4
    assert grid.cells == [] and grid.blocks == []
    assert grid.free_count == 0


def test_a_day_without_staff_still_has_one_column_for_its_css():
    grid = lay_out(staff=[])

    assert grid.columns == []
    assert grid.template_columns == "--cols:1;"


def test_rows_run_from_the_hour_before_the_first_slot_to_the_hour_after_the_last():
    grid = lay_out(slots=[slot(ANA, 10, 15), slot(ANA, 16, 30)])

    assert [hour.label for hour in grid.hours] == [f"{h:02d}:00" for h in range(10, 17)]
    assert grid.rows == 7 * 4
    assert grid.template_rows == "grid-template-rows:auto repeat(28, 1.750rem);"


def test_a_booking_outside_the_working_hours_widens_the_day():
    grid = lay_out(slots=[slot(ANA, 10)], bookings=[booking(ANA, 19, 30, minutes=45)])

    assert grid.hours[0].label == "10:00" and grid.hours[-1].label == "20:00"


def test_clean_up_after_the_last_booking_widens_the_day_too():
    grid = lay_out(slots=[slot(ANA, 10)], bookings=[booking(ANA, 17, 30, minutes=30, held=45)])

    assert grid.hours[-1].label == "18:00"


def test_times_are_placed_on_the_salons_wall_clock_not_utc():
    grid = lay_out(slots=[slot(ANA, 9)], bookings=[booking(ANA, 10)])

    (block,) = grid.blocks
    assert (block.row, block.time_label) == (2 + 4, "10:00–10:30")


def test_a_booking_spans_every_row_it_holds_including_clean_up():
    grid = lay_out(slots=slots_from(ANA, dt.time(9), dt.time(12)), bookings=[booking(ANA, 10, minutes=45, held=60)])

    (block,) = grid.blocks
    assert placed([block]) == [(2, 2 + 4, 4)]
    assert block.time_label == "10:00–10:45"  # the service's own end, not the clean-up
    assert block.kind == "booking status-confirmed" and block.size == ""


def test_a_booking_ending_within_a_row_still_covers_that_row():
    grid = lay_out(slots=[slot(ANA, 9)], bookings=[booking(ANA, 10, minutes=20)])

    assert placed(grid.blocks) == [(2, 6, 2)]


def test_short_blocks_say_how_much_they_can_show():
    grid = lay_out(bookings=[booking(ANA, 10, minutes=15), booking(ANA, 11, minutes=30)])

    assert [block.size for block in grid.blocks] == ["short", "medium"]


def test_bookings_at_the_same_time_go_in_their_staff_members_columns():
    grid = lay_out(
        staff=[ANA, BEN], slots=[slot(ANA, 9)], bookings=[booking(ANA, 10, name="A"), booking(BEN, 10, name="B")]
    )

    assert [(b.booking.customer_name, b.column, b.row) for b in grid.blocks] == [("A", 2, 6), ("B", 3, 6)]


def test_a_cancelled_booking_leaves_its_time_to_the_booking_that_took_it():
    cancelled = booking(ANA, 10, status=Booking.Status.CANCELLED, name="Gone")
    rebooked = booking(ANA, 10, name="Here")

    grid = lay_out(bookings=[cancelled, rebooked])

    assert [block.booking.customer_name for block in grid.blocks] == ["Here"]


def test_nothing_is_drawn_for_someone_without_a_column():
    grid = lay_out(staff=[ANA], slots=[slot(BEN, 10)], bookings=[booking(BEN, 10)])

    assert grid.cells == [] and grid.blocks == []


def test_free_future_slots_link_to_a_desk_booking_at_that_time():
    now = at(10, 5)
    grid = lay_out(slots=[slot(ANA, 10), slot(ANA, 10, 15), slot(ANA, 10, 30, status=Slot.Status.BOOKED)], now=now)

    assert [(cell.time_label, cell.kind) for cell in grid.cells] == [
        ("10:00", "work"),
        ("10:15", "free"),
        ("10:30", "work"),
    ]
    free = grid.cells[1]
    assert free.staff_member is ANA
    assert free.url == f"{BOOK_URL}?staff=1&date=2030-07-01&start=2030-07-01T09%3A15%3A00%2B00%3A00"
    assert grid.free_count == 1


def test_time_held_for_a_waitlist_offer_is_marked_and_not_bookable():
    grid = lay_out(slots=[slot(ANA, 10, status=Slot.Status.HELD), slot(ANA, 10, 15)], now=at(9))
    held, free = grid.cells
    assert (held.kind, held.url) == ("held", "")
    assert free.kind == "free"
    assert grid.free_count == 1


def test_a_break_leaves_rows_without_cells_between_the_working_hours():
    morning = slots_from(ANA, dt.time(9), dt.time(12))
    afternoon = slots_from(ANA, dt.time(13), dt.time(17))

    grid = lay_out(slots=morning + afternoon)

    rows = {cell.row for cell in grid.cells}
    lunch = set(range(2 + 3 * 4, 2 + 4 * 4))
    assert rows.isdisjoint(lunch)
    assert len(grid.cells) == 7 * 4


def test_consecutive_blocked_slots_with_one_reason_merge_into_one_block():
    lunch = slots_from(ANA, dt.time(12), dt.time(13), status=Slot.Status.BLOCKED, reason="Lunch")

    grid = lay_out(slots=lunch)

    (block,) = grid.blocks
    assert (block.label, block.time_label, block.span) == ("Lunch", "12:00–13:00", 4)
    assert block.slot_ids == [s.pk for s in lunch]


def test_blocked_runs_split_on_another_reason_a_gap_or_another_column():
    lunch = slots_from(ANA, dt.time(12), dt.time(13), status=Slot.Status.BLOCKED, reason="Lunch")
    errand = slots_from(ANA, dt.time(13), dt.time(13, 30), status=Slot.Status.BLOCKED, reason="Errand")
    later = slots_from(ANA, dt.time(14), dt.time(14, 30), status=Slot.Status.BLOCKED, reason="Errand")
    ben = slots_from(BEN, dt.time(14, 30), dt.time(15), status=Slot.Status.BLOCKED, reason="Errand")
    unnamed = [slot(BEN, 16, status=Slot.Status.BLOCKED)]

    grid = lay_out(staff=[ANA, BEN], slots=lunch + errand + later + ben + unnamed)

    assert [(b.column, b.label, b.time_label) for b in grid.blocks] == [
        (2, "Lunch", "12:00–13:00"),
        (2, "Errand", "13:00–13:30"),
        (2, "Errand", "14:00–14:30"),
        (3, "Errand", "14:30–15:00"),
        (3, "Blocked", "16:00–16:15"),
    ]


def test_blocked_runs_merge_per_column_whatever_order_the_columns_come_in():
    ana = slots_from(ANA, dt.time(12), dt.time(13), status=Slot.Status.BLOCKED, reason="Lunch")
    ben = slots_from(BEN, dt.time(12), dt.time(13), status=Slot.Status.BLOCKED, reason="Lunch")
    by_time = [s for pair in zip(ana, ben) for s in pair]

    grid = lay_out(staff=[ANA, BEN], slots=by_time)

    assert [(b.column, b.time_label, len(b.slot_ids)) for b in grid.blocks] == [
        (2, "12:00–13:00", 4),
        (3, "12:00–13:00", 4),
    ]


def test_the_now_line_is_drawn_only_on_that_day_within_its_hours():
    slots = slots_from(ANA, dt.time(9), dt.time(17))

    ten_past_seven = lay_out(slots=slots, now=at(10, 7))
    assert ten_past_seven.now_style == "grid-column:2 / -1;grid-row:6;margin-top:0.817rem"

    assert lay_out(slots=slots, now=at(10, 7) - dt.timedelta(days=1)).now_style == ""
    assert lay_out(slots=slots, now=at(20)).now_style == ""


@pytest.mark.parametrize(("slot_minutes", "rows"), [(15, 15), (20, 20), (45, 15), (25, 5), (7, 7), (90, 30)])
def test_a_row_divides_both_the_slot_and_the_hour(slot_minutes, rows):
    assert row_minutes(slot_minutes) == rows


def test_rows_follow_the_salons_slot_length():
    grid = lay_out(slots=[slot(ANA, 10, minutes=20), slot(ANA, 10, 20, minutes=20)], slot_minutes=20)

    assert placed(grid.cells) == [(2, 2, 1), (2, 3, 1)]
    assert grid.rows == 3
    assert grid.hours[0].span == 3


COLOUR = Service(name="Colour", duration_minutes=90, processing_after_minutes=30, processing_minutes=30)
CUT = Service(name="Cut", duration_minutes=45)


def test_a_visit_shows_each_part_in_its_staff_members_column():
    visit = booking(ANA, 10, parts=[(ANA, COLOUR), (BEN, CUT)], name="Maya")
    grid = lay_out(staff=[ANA, BEN], bookings=[visit])
    shown = [(b.column, b.row, b.span, b.label, b.kind) for b in grid.blocks]
    assert shown == [
        # The colour's processing, beneath: Ana is free then.
        (2, 4, 2, "Colour processing", "booking processing"),  # 10:30-11:00
        (2, 2, 2, "Colour · 1 of 2", "booking status-confirmed"),  # 10:00-10:30
        (2, 6, 2, "Colour · 1 of 2", "booking status-confirmed"),  # 11:00-11:30
        (3, 8, 3, "Cut · 2 of 2", "booking status-confirmed"),  # 11:30-12:15
    ]
    assert {b.booking.pk for b in grid.blocks} == {visit.pk}  # each links to the one booking


def test_a_booking_inside_another_ones_processing_is_drawn_over_it():
    colour = booking(ANA, 10, parts=[(ANA, COLOUR)], name="Maya")
    beard = booking(ANA, 10, 30, minutes=15, name="Tom")
    grid = lay_out(bookings=[colour, beard])
    order = [(b.booking.customer_name, b.kind) for b in grid.blocks]
    assert order.index(("Maya", "booking processing")) < order.index(("Tom", "booking status-confirmed"))
