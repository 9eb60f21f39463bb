"""The staff agenda's grid: where a day's slots, blocked time and bookings go.

Staff members are columns and wall-clock time is rows. This module only
places things: it takes what the agenda selector has already read (model
instances, or anything with the same attributes) and returns positions on a
CSS grid. It makes no queries, knows no request and resolves no URLs, so each
rule can be tested with objects built in memory.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from bookings.models import Booking
from salons.models import StaffMember
from slots.models import Slot
from slots.visits import staff_periods

# A row of 15 minutes is 1.75rem high; rows of other lengths keep that scale.
REM_PER_MINUTE = 1.75 / 15
# The hours shown on a day with neither slots nor bookings.
DEFAULT_OPENING = (9 * 60, 18 * 60)
# Row 1 holds the staff names and column 1 the hours.
FIRST_TIME_ROW = 2
FIRST_STAFF_COLUMN = 2
BLOCKED_LABEL = "Blocked"


@dataclass
class GridItem:
    """Something placed on the CSS grid: a column and a run of rows."""

    column: int
    row: int
    span: int
    kind: str = ""
    label: str = ""
    booking: Booking | None = None
    slot_ids: list[int] = field(default_factory=list)
    staff_member: StaffMember | None = None
    url: str = ""
    time_label: str = ""

    @property
    def style(self) -> str:
        return f"grid-column:{self.column};grid-row:{self.row} / span {self.span}"

    @property
    def size(self) -> str:
        """How much a block can show: one line, two lines, or everything."""
        return {1: "short", 2: "medium"}.get(self.span, "")


@dataclass
class AgendaGrid:
    columns: list[StaffMember]
    rows: int
    row_rem: float
    hours: list[GridItem]
    cells: list[GridItem]
    blocks: list[GridItem]
    now_style: str

    @property
    def template_columns(self) -> str:
        return f"--cols:{max(len(self.columns), 1)};"

    @property
    def template_rows(self) -> str:
        return f"grid-template-rows:auto repeat({self.rows}, {self.row_rem:.3f}rem);"

    @property
    def free_count(self) -> int:
        return sum(1 for cell in self.cells if cell.kind == "free")


@dataclass(frozen=True)
class _Rows:
    """The day's visible time: ``first`` to ``last`` minutes after local midnight, in rows of ``unit`` minutes."""

    first: int
    last: int
    unit: int

    @property
    def count(self) -> int:
        return (self.last - self.first) // self.unit

    def row_of(self, minutes: int) -> int:
        return (min(max(minutes, self.first), self.last) - self.first) // self.unit + FIRST_TIME_ROW

    def span_of(self, start: int, end: int) -> int:
        return max(1, math.ceil((min(end, self.last) - max(start, self.first)) / self.unit))


def row_minutes(slot_minutes: int) -> int:
    """Rows are the largest length that divides both the slot and the hour, so
    slots and hour lines both fall on row edges; below 5 minutes the grid would
    be too tall to read, and rows are one slot instead."""
    unit = math.gcd(slot_minutes, 60)
    return unit if unit >= 5 else slot_minutes


def lay_out_day(
    *,
    day: dt.date,
    tz: ZoneInfo,
    slot_minutes: int,
    staff: Sequence[StaffMember],
    slots: Sequence[Slot],
    bookings: Sequence[Booking],
    now: dt.datetime,
    book_url: str,
) -> AgendaGrid:
    """Lay the salon-local ``day`` out: ``staff`` as columns, wall-clock time as rows.

    ``slots`` come in start order for each staff member, as
    ``agenda_for_day`` reads them. The rows run from the whole hour before
    the first slot or booking to the whole hour after the last (nine to six
    on an empty day). Free future slots link to ``book_url`` at that time;
    consecutive blocked slots with one reason merge into one block; each part
    of a booking spans the rows its staff member is busy (service and
    clean-up, around a processing phase, which is drawn lighter beneath);
    cancelled bookings and anyone without a column are left out.
    """

    def wall(moment: dt.datetime) -> int:
        return _wall_minutes(moment, tz, day)

    rows = _visible_rows(
        [(wall(s.start), wall(s.end)) for s in slots] + [(wall(b.start), wall(b.held_until)) for b in bookings],
        unit=row_minutes(slot_minutes),
    )
    hours = [
        GridItem(column=1, row=rows.row_of(m), span=rows.span_of(m, m + 60), kind="hour", label=f"{m // 60:02d}:00")
        for m in range(rows.first, rows.last, 60)
    ]
    columns = {member.pk: (index + FIRST_STAFF_COLUMN, member) for index, member in enumerate(staff)}
    cells: list[GridItem] = []
    blocks: list[GridItem] = []
    blocked_runs: dict[int, GridItem] = {}  # the latest blocked run of each column
    for slot in slots:
        if slot.staff_member_id not in columns:
            continue
        column, member = columns[slot.staff_member_id]
        start, end = wall(slot.start), wall(slot.end)
        cell = GridItem(
            column=column,
            row=rows.row_of(start),
            span=rows.span_of(start, end),
            kind="work",
            time_label=_hhmm(slot.start, tz),
        )
        if slot.status == Slot.Status.AVAILABLE and slot.start > now:
            cell.kind = "free"
            cell.staff_member = member
            at_this_time = {
                "staff": slot.staff_member_id,
                "date": day.isoformat(),
                "start": slot.start.astimezone(dt.UTC).isoformat(),
            }
            cell.url = f"{book_url}?{urlencode(at_this_time)}"
        elif slot.status == Slot.Status.HELD:
            cell.kind = "held"  # for a waitlist offer: nobody else can book it until it is claimed or ends
        cells.append(cell)
        if slot.status == Slot.Status.BLOCKED:
            _add_blocked(blocks, blocked_runs, slot, column=column, row=cell.row, span=cell.span, tz=tz)

    processing: list[GridItem] = []
    for booking in bookings:
        if booking.status == Booking.Status.CANCELLED:
            continue
        parts = list(booking.parts.all())
        for part in parts:
            if part.staff_member_id not in columns:
                continue
            column, _ = columns[part.staff_member_id]
            label = part.service.name
            if len(parts) > 1:
                label += f" · {part.position + 1} of {len(parts)}"
            # The staff member's busy time (service and clean-up, in up to
            # two pieces around a processing phase), each piece a block.
            for begin, finish in staff_periods(part.service, part.start):
                blocks.append(
                    GridItem(
                        column=column,
                        row=rows.row_of(wall(begin)),
                        span=rows.span_of(wall(begin), wall(finish)),
                        kind=f"booking status-{booking.status}",
                        booking=booking,
                        label=label,
                        time_label=f"{_hhmm(part.start, tz)}–{_hhmm(part.end, tz)}",
                    )
                )
            if part.service.processing_minutes:
                begin = part.start.astimezone(dt.UTC) + dt.timedelta(minutes=part.service.processing_after_minutes)
                finish = begin + dt.timedelta(minutes=part.service.processing_minutes)
                processing.append(
                    GridItem(
                        column=column,
                        row=rows.row_of(wall(begin)),
                        span=rows.span_of(wall(begin), wall(finish)),
                        kind="booking processing",
                        booking=booking,
                        label=f"{part.service.name} processing",
                        time_label=f"{_hhmm(begin, tz)}–{_hhmm(finish, tz)}",
                    )
                )
    # Processing first: a booking taken inside it is drawn over it.
    blocks[:0] = processing

    return AgendaGrid(
        columns=list(staff),
        rows=rows.count,
        row_rem=rows.unit * REM_PER_MINUTE,
        hours=hours,
        cells=cells,
        blocks=blocks,
        now_style=_now_line(now, tz=tz, day=day, rows=rows),
    )


def _hhmm(moment: dt.datetime, tz: ZoneInfo) -> str:
    """``moment`` as the salon's wall clock shows it."""
    return moment.astimezone(tz).strftime("%H:%M")


def _wall_minutes(moment: dt.datetime, tz: ZoneInfo, day: dt.date) -> int:
    """Minutes from the local midnight of ``day`` to ``moment`` on the wall clock,
    so 10:00 sits on the 10:00 row on the days the clocks change too."""
    local = moment.astimezone(tz)
    return (local.date() - day).days * 1440 + local.hour * 60 + local.minute


def _visible_rows(spans: list[tuple[int, int]], *, unit: int) -> _Rows:
    """Whole hours around every span, within the day, and at least one hour."""
    if spans:
        first = min(start for start, _ in spans)
        last = max(end for _, end in spans)
    else:
        first, last = DEFAULT_OPENING
    first = max(0, first // 60 * 60)
    last = min(1440, math.ceil(last / 60) * 60)
    return _Rows(first=first, last=max(last, first + 60), unit=unit)


def _add_blocked(
    blocks: list[GridItem], runs: dict[int, GridItem], slot: Slot, *, column: int, row: int, span: int, tz: ZoneInfo
) -> None:
    """Extend the blocked run ``runs`` holds for this column if the slot follows
    it with the same reason, or start a new run there."""
    label = slot.block_reason or BLOCKED_LABEL
    run = runs.get(column)
    if run is not None and run.row + run.span == row and run.label == label:
        run.span += span
        run.slot_ids.append(slot.pk)
        run.time_label = run.time_label.split("–")[0] + "–" + _hhmm(slot.end, tz)
        return
    runs[column] = GridItem(
        column=column,
        row=row,
        span=span,
        kind="blocked",
        label=label,
        slot_ids=[slot.pk],
        time_label=f"{_hhmm(slot.start, tz)}–{_hhmm(slot.end, tz)}",
    )
    blocks.append(runs[column])


def _now_line(now: dt.datetime, *, tz: ZoneInfo, day: dt.date, rows: _Rows) -> str:
    """The style of the line across the columns at the current minute; empty
    unless ``now`` falls on ``day`` within the visible hours. The visible
    hours lie within the day, and any other day's minutes fall outside it."""
    minutes = _wall_minutes(now, tz, day)
    if not rows.first <= minutes < rows.last:
        return ""
    into_row = (minutes - rows.first) % rows.unit
    return (
        f"grid-column:{FIRST_STAFF_COLUMN} / -1;grid-row:{rows.row_of(minutes)};"
        f"margin-top:{into_row * REM_PER_MINUTE:.3f}rem"
    )
