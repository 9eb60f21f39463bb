"""Staff pages for bookings: the day agenda, a booking, and booking at the desk.

Views parse, call one service or selector, and render. Domain errors become
messages or field errors, never an error page.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from bookings.forms import AgendaQueryForm, CancelForm, DeskBookingForm, RescheduleForm, place_service_errors
from bookings.models import Booking
from bookings.reminders.links import click_to_chat_url
from bookings.selectors import AgendaDay, agenda_for_day
from bookings.services import (
    Actor,
    allowed_moves,
    booking_cancel,
    booking_complete,
    booking_confirm,
    booking_create,
    booking_mark_no_show,
    booking_reschedule,
)
from salonbook.errors import DomainError, SlotUnavailable
from salons.models import Salon, StaffMember
from salons.selectors import user_can_manage_salon
from salons.views import salon_for, staff_required
from slots.models import Slot
from slots.selectors import FreeStart, availability_for_day

# --- The agenda grid ----------------------------------------------------------------------

# Rows of the grid are this many minutes at most; a row of 15 minutes is 1.75rem high.
REM_PER_MINUTE = 1.75 / 15
DEFAULT_OPENING = (9 * 60, 18 * 60)


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


def _wall_minutes(moment: dt.datetime, salon: Salon, day: dt.date) -> int:
    """Minutes from the salon-local midnight of ``day`` to ``moment`` on the wall clock."""
    local = timezone.localtime(moment, salon.tz)
    return (local.date() - day).days * 1440 + local.hour * 60 + local.minute


def _hhmm(moment: dt.datetime, salon: Salon) -> str:
    return timezone.localtime(moment, salon.tz).strftime("%H:%M")


def _just_taken(start: dt.datetime, salon: Salon, member: StaffMember) -> str:
    """What staff read when another booking took the time as they chose it."""
    return (
        f"{_hhmm(start, salon)} with {member.name} has just been taken by another booking. "
        "Choose another free time."
    )


def build_grid(*, salon: Salon, day: dt.date, agenda: AgendaDay, now: dt.datetime, slug: str) -> AgendaGrid:
    """Lay the day out: staff as columns, wall-clock time as rows.

    Free future slots link to a desk booking at that time; consecutive
    blocked slots with one reason merge into one block; bookings span the
    rows they hold (service and clean-up).
    """
    unit = math.gcd(salon.slot_minutes, 60)
    if unit < 5:
        unit = salon.slot_minutes
    spans = [(_wall_minutes(s.start, salon, day), _wall_minutes(s.end, salon, day)) for s in agenda.slots]
    spans += [(_wall_minutes(b.start, salon, day), _wall_minutes(b.held_until, salon, day)) for b in agenda.bookings]
    if spans:
        first = min(start for start, _ in spans)
        last = max(end for _, end in spans)
    else:
        first, last = DEFAULT_OPENING
    first = max(0, first // 60 * 60)
    last = min(1440, math.ceil(last / 60) * 60)
    last = max(last, first + 60)
    rows = (last - first) // unit

    def row_of(minutes: int) -> int:
        return (min(max(minutes, first), last) - first) // unit + 2  # row 1 holds the names

    def span_of(start: int, end: int) -> int:
        return max(1, math.ceil((min(end, last) - max(start, first)) / unit))

    hours = [
        GridItem(column=1, row=row_of(m), span=span_of(m, m + 60), kind="hour", label=f"{m // 60:02d}:00")
        for m in range(first, last, 60)
    ]
    column_of = {member.pk: index + 2 for index, member in enumerate(agenda.staff)}
    book_url = reverse("staff:desk_booking", kwargs={"slug": slug})
    cells: list[GridItem] = []
    blocks: list[GridItem] = []
    for slot in agenda.slots:
        column = column_of.get(slot.staff_member_id)
        if column is None:
            continue
        start, end = _wall_minutes(slot.start, salon, day), _wall_minutes(slot.end, salon, day)
        cell = GridItem(column=column, row=row_of(start), span=span_of(start, end), kind="work", time_label=_hhmm(slot.start, salon))
        if slot.status == Slot.Status.AVAILABLE and slot.start > now:
            cell.kind = "free"
            cell.staff_member = slot.staff_member
            cell.url = book_url + "?" + urlencode(
                {"staff": slot.staff_member_id, "date": day.isoformat(), "start": slot.start.astimezone(dt.UTC).isoformat()}
            )
        cells.append(cell)
        if slot.status == Slot.Status.BLOCKED:
            _add_blocked(blocks, slot, column=column, row=cell.row, span=cell.span, salon=salon)

    for booking in agenda.bookings:
        column = column_of.get(booking.staff_member_id)
        if column is None or booking.status == Booking.Status.CANCELLED:
            continue
        start, end = _wall_minutes(booking.start, salon, day), _wall_minutes(booking.held_until, salon, day)
        blocks.append(
            GridItem(
                column=column,
                row=row_of(start),
                span=span_of(start, end),
                kind=f"booking status-{booking.status}",
                booking=booking,
                time_label=f"{_hhmm(booking.start, salon)}–{_hhmm(booking.end, salon)}",
            )
        )

    now_style = ""
    if timezone.localtime(now, salon.tz).date() == day:
        minutes = _wall_minutes(now, salon, day)
        if first <= minutes < last:
            into_row = (minutes - first) % unit
            now_style = f"grid-column:2 / -1;grid-row:{row_of(minutes)};margin-top:{into_row * REM_PER_MINUTE:.3f}rem"
    return AgendaGrid(
        columns=agenda.staff,
        rows=rows,
        row_rem=unit * REM_PER_MINUTE,
        hours=hours,
        cells=cells,
        blocks=blocks,
        now_style=now_style,
    )


def _add_blocked(blocks: list[GridItem], slot: Slot, *, column: int, row: int, span: int, salon: Salon) -> None:
    """Extend the previous blocked run of this column, or start a new one."""
    if blocks:
        last = blocks[-1]
        if (
            last.kind == "blocked"
            and last.column == column
            and last.row + last.span == row
            and last.label == (slot.block_reason or "Blocked")
        ):
            last.span += span
            last.slot_ids.append(slot.pk)
            last.time_label = last.time_label.split("–")[0] + "–" + _hhmm(slot.end, salon)
            return
    blocks.append(
        GridItem(
            column=column,
            row=row,
            span=span,
            kind="blocked",
            label=slot.block_reason or "Blocked",
            slot_ids=[slot.pk],
            time_label=f"{_hhmm(slot.start, salon)}–{_hhmm(slot.end, salon)}",
        )
    )


def _day_title(day: dt.date) -> str:
    return dateformat.format(day, "l j F Y")


@staff_required
def agenda(request: HttpRequest, slug: str) -> HttpResponse:
    salon = salon_for(request, slug)
    today = timezone.localdate(timezone=salon.tz)
    query = AgendaQueryForm(request.GET)
    day, staff_filter = today, None
    if query.is_valid():
        day = query.cleaned_data["date"] or today
        staff_filter = query.cleaned_data["staff"]
    agenda_day = agenda_for_day(salon=salon, day=day, staff_member_id=staff_filter)
    if staff_filter is None:
        all_staff = agenda_day.staff
    else:
        all_staff = list(StaffMember.objects.filter(salon=salon, is_active=True).order_by("name", "pk"))
    grid = build_grid(salon=salon, day=day, agenda=agenda_day, now=timezone.now(), slug=slug)
    own = request.staff_member if request.staff_member and request.staff_member.salon_id == salon.pk else None
    cancelled = [b for b in agenda_day.bookings if b.status == Booking.Status.CANCELLED]
    active = [b for b in agenda_day.bookings if b.status != Booking.Status.CANCELLED]
    context = {
        "nav": "agenda",
        "salon": salon,
        "day": day,
        "day_title": _day_title(day),
        "is_today": day == today,
        "today": today,
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "grid": grid,
        "all_staff": all_staff,
        "staff_filter": staff_filter,
        "own_staff_member": own,
        "pending": [b for b in active if b.status == Booking.Status.PENDING],
        "cancelled": cancelled,
        "active_count": len(active),
        "free_count": sum(1 for cell in grid.cells if cell.kind == "free"),
        "agenda_url": request.get_full_path(),
    }
    return render(request, "staff/agenda.html", context)


# --- Desk booking ----------------------------------------------------------------------------


@dataclass
class TimeChoice:
    value: str
    label: str
    checked: bool


@dataclass
class StaffTimes:
    staff_member: StaffMember
    times: list[TimeChoice]


def _group_times(
    free: Iterable[FreeStart], staff: dict[int, StaffMember], salon: Salon, chosen: str
) -> list[StaffTimes]:
    groups: dict[int, StaffTimes] = {}
    for start in free:
        member = staff.get(start.staff_member_id)
        if member is None:
            continue
        value = DeskBookingForm.start_value(start.staff_member_id, start.start)
        group = groups.setdefault(member.pk, StaffTimes(staff_member=member, times=[]))
        group.times.append(TimeChoice(value=value, label=_hhmm(start.start, salon), checked=value == chosen))
    return sorted(groups.values(), key=lambda g: (g.staff_member.name, g.staff_member.pk))


def _desk_initial(request: HttpRequest, salon: Salon, staff: dict[int, StaffMember]) -> dict:
    """Prefill from the agenda: ``?staff=ID&date=YYYY-MM-DD&start=ISO[&service=ID]``."""
    initial: dict = {"date": timezone.localdate(timezone=salon.tz)}
    query = AgendaQueryForm(request.GET)
    if query.is_valid():
        initial["date"] = query.cleaned_data["date"] or initial["date"]
        member = staff.get(query.cleaned_data["staff"] or 0)
        if member is not None:
            initial["staff"] = member.pk
    service_id = request.GET.get("service", "")
    if service_id.isdigit():
        initial["service"] = int(service_id)
    elif "staff" in initial:
        first = staff[initial["staff"]].services.filter(is_active=True).order_by("name").first()
        if first is not None:
            initial["service"] = first.pk
    start = request.GET.get("start", "")
    if start and "staff" in initial:
        try:
            initial["start"] = DeskBookingForm.start_value(initial["staff"], dt.datetime.fromisoformat(start))
        except ValueError:
            pass
    return initial


@staff_required
def desk_booking(request: HttpRequest, slug: str) -> HttpResponse:
    """Take a booking at the desk from the same free starts the API offers."""
    salon = salon_for(request, slug)
    booking_pressed = request.method == "POST" and request.POST.get("action") == "book"
    if request.method == "POST":
        form = DeskBookingForm(request.POST, salon=salon, booking=booking_pressed)
        staff = {m.pk: m for m in form.fields["staff"].queryset}
        form.is_valid()
    else:
        form = DeskBookingForm(salon=salon)
        staff = {m.pk: m for m in form.fields["staff"].queryset}
        form.initial = _desk_initial(request, salon, staff)
        if "service" not in form.initial:
            first_service = form.fields["service"].queryset.first()
            form.initial["service"] = first_service.pk if first_service else None

    if booking_pressed and form.is_valid():
        booking = _create_from_form(request, form, salon, staff)
        if booking is not None:
            messages.success(
                request,
                f"Booked {booking.customer_name}: {booking.service.name} with {booking.staff_member.name}, "
                f"{dateformat.format(timezone.localtime(booking.start, salon.tz), 'l j F, H:i')}.",
            )
            return redirect("staff:booking", reference=booking.reference)

    service, staff_member, day, chosen = _desk_choice(form, staff)
    free: list[FreeStart] = []
    if service is not None and day is not None:
        free = availability_for_day(
            salon=salon, day=day, service=service, staff_member_id=staff_member.pk if staff_member else None
        )
    context = {
        "nav": "book",
        "salon": salon,
        "form": form,
        "service": service,
        "day": day,
        "day_title": _day_title(day) if day else "",
        "day_passed": day is not None and day < timezone.localdate(timezone=salon.tz),
        "times": _group_times(free, staff, salon, chosen),
    }
    return render(request, "staff/desk_booking.html", context)


def _desk_choice(form: DeskBookingForm, staff: dict[int, StaffMember]):
    """The service, staff member, day and chosen start the form currently shows."""
    if form.is_bound:
        data = getattr(form, "cleaned_data", {})
        service = data.get("service")
        staff_member = data.get("staff")
        day = data.get("date")
        chosen = form.data.get("start", "")
        return service, staff_member, day, chosen
    services = {s.pk: s for s in form.fields["service"].queryset}
    return (
        services.get(form.initial.get("service")),
        staff.get(form.initial.get("staff") or 0),
        form.initial.get("date"),
        form.initial.get("start", ""),
    )


def _create_from_form(
    request: HttpRequest, form: DeskBookingForm, salon: Salon, staff: dict[int, StaffMember]
) -> Booking | None:
    staff_id, start = form.cleaned_data["start"]
    chosen_staff = form.cleaned_data.get("staff")
    member = staff.get(staff_id)
    if member is None or (chosen_staff is not None and chosen_staff.pk != staff_id):
        form.add_error("start", "Choose one of the free times shown.")
        return None
    try:
        return booking_create(
            salon=salon,
            service=form.cleaned_data["service"],
            staff_member=member,
            start=start,
            customer_name=form.cleaned_data["customer_name"],
            customer_phone=form.cleaned_data["customer_phone"],
            customer_email=form.cleaned_data.get("customer_email") or "",
            actor=Actor.staff(request.user),
        )
    except SlotUnavailable:
        form.add_error("start", _just_taken(start, salon, member))
    except DomainError as error:
        form.add_service_errors(error.details, error.message)
    return None


# --- One booking -------------------------------------------------------------------------------

MOVES = {
    # move: (service, button label, message when done)
    "confirm": (booking_confirm, "Confirm booking", "Booking confirmed."),
    "complete": (booking_complete, "Mark completed", "Marked as completed."),
    "no_show": (booking_mark_no_show, "Mark no-show", "Marked as a no-show."),
    "cancel": (booking_cancel, "Cancel booking", "Booking cancelled; its time is free again."),
}


def _booking_for(request: HttpRequest, reference: str) -> Booking:
    """The booking if the user may manage its salon; 404 otherwise, so other
    salons' references cannot be probed."""
    booking = get_object_or_404(
        Booking.objects.select_related("salon", "service", "staff_member"), reference=reference
    )
    if not user_can_manage_salon(request.user, booking.salon_id):
        raise Http404("No such booking.")
    return booking


@staff_required
def booking_detail(request: HttpRequest, reference: str) -> HttpResponse:
    booking = _booking_for(request, reference)
    salon = booking.salon
    moves = allowed_moves(booking)
    buttons = [(move, MOVES[move][1]) for move in ("confirm", "complete", "no_show") if move in moves]
    local_day = timezone.localtime(booking.start, salon.tz).date()
    labels = dict(Booking.Status.choices)
    context = {
        "salon": salon,
        "booking": booking,
        "local_start": timezone.localtime(booking.start, salon.tz),
        "local_end": timezone.localtime(booking.end, salon.tz),
        "history": [
            {"change": change, "from": labels.get(change.from_status, ""), "to": labels.get(change.to_status, change.to_status)}
            for change in booking.history.select_related("actor_user")
        ],
        "reminders": booking.reminders.all(),
        "buttons": buttons,
        "can_cancel": "cancel" in moves,
        "can_reschedule": booking.is_active and booking.start > timezone.now(),
        "cancel_form": CancelForm(),
        "whatsapp_url": click_to_chat_url(booking),
        "agenda_url": reverse("staff:agenda", kwargs={"slug": salon.slug}) + f"?date={local_day.isoformat()}",
    }
    return render(request, "staff/booking_detail.html", context)


@require_POST
@staff_required
def booking_move(request: HttpRequest, reference: str, move: str) -> HttpResponse:
    """Run one state-machine move; a refused move comes back as a message."""
    if move not in MOVES:
        raise Http404("No such change.")
    booking = _booking_for(request, reference)
    service, _, done = MOVES[move]
    actor = Actor.staff(request.user)
    try:
        if move == "cancel":
            form = CancelForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            service(booking=booking, actor=actor, reason=reason)
        else:
            service(booking=booking, actor=actor)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{booking.customer_name}: {done[0].lower()}{done[1:]}")
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return redirect(next_url)
    return redirect("staff:booking", reference=booking.reference)


@staff_required
def booking_reschedule_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Move a booking to another free time, from the same availability the API uses."""
    booking = _booking_for(request, reference)
    salon = booking.salon
    moving = request.method == "POST" and request.POST.get("action") == "move"
    if request.method == "POST":
        form = RescheduleForm(request.POST, salon=salon, service=booking.service, moving=moving)
        form.is_valid()
    else:
        local_day = timezone.localtime(booking.start, salon.tz).date()
        form = RescheduleForm(initial={"date": local_day}, salon=salon, service=booking.service)
    staff = {m.pk: m for m in form.fields["staff"].queryset}

    if moving and form.is_valid():
        staff_id, start = form.cleaned_data["start"]
        chosen_staff = form.cleaned_data.get("staff")
        member = staff.get(staff_id)
        if member is None or (chosen_staff is not None and chosen_staff.pk != staff_id):
            form.add_error("start", "Choose one of the free times shown.")
        else:
            try:
                booking_reschedule(booking=booking, start=start, staff_member=member, actor=Actor.staff(request.user))
            except SlotUnavailable:
                form.add_error("start", _just_taken(start, salon, member))
            except DomainError as error:
                if not place_service_errors(form, error.details):
                    messages.error(request, error.message)
                    return redirect("staff:booking", reference=booking.reference)
            else:
                messages.success(
                    request,
                    f"Moved {booking.customer_name} to "
                    f"{dateformat.format(timezone.localtime(start, salon.tz), 'l j F, H:i')} with {member.name}.",
                )
                return redirect("staff:booking", reference=booking.reference)

    if form.is_bound:
        data = getattr(form, "cleaned_data", {})
        day, staff_member, chosen = data.get("date"), data.get("staff"), form.data.get("start", "")
    else:
        day, staff_member, chosen = form.initial.get("date"), None, ""
    free: list[FreeStart] = []
    if day is not None:
        free = availability_for_day(
            salon=salon, day=day, service=booking.service, staff_member_id=staff_member.pk if staff_member else None
        )
    context = {
        "nav": "agenda",
        "salon": salon,
        "booking": booking,
        "local_start": timezone.localtime(booking.start, salon.tz),
        "form": form,
        "day": day,
        "day_title": _day_title(day) if day else "",
        "times": _group_times(free, staff, salon, chosen),
    }
    return render(request, "staff/reschedule.html", context)


@require_GET
def manage_booking(request: HttpRequest, reference: str) -> HttpResponse:
    """The customer's page behind the link in confirmations and reminders.

    The server never sees the manage token: it is in the link's fragment and
    the page sends it to the API itself, so this view only serves the shell.
    """
    return render(request, "manage/booking.html", {"reference": reference})
