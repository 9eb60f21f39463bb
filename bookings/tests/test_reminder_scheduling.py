import datetime as dt

import pytest
from django.utils import timezone

from bookings.models import Reminder
from bookings.reminders.dispatch import reminders_dispatch_due
from bookings.reminders.scheduling import reminders_schedule
from bookings.services import Actor, booking_cancel, booking_confirm, booking_reschedule
from bookings.signals import reminder_expired
from bookings.tests.factories import make_booking, next_local
from salons.tests.factories import ServiceFactory
from slots.models import Slot

pytestmark = pytest.mark.django_db

S = Reminder.Status


def live(booking):
    return {r.kind: r for r in booking.reminders.filter(status__in=(S.SCHEDULED, S.QUEUED, S.SENDING))}


@pytest.fixture
def booking(service, staff_member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))


def test_a_new_booking_gets_a_reminder_24h_and_2h_before(booking):
    reminders = live(booking)
    assert set(reminders) == {"24h", "2h"}
    assert reminders["24h"].due_at == booking.start - dt.timedelta(hours=24)
    assert reminders["2h"].due_at == booking.start - dt.timedelta(hours=2)
    assert {r.status for r in reminders.values()} == {S.SCHEDULED}
    assert reminders["24h"].next_attempt_at == reminders["24h"].due_at


def test_created_and_confirmed_events_schedule_each_kind_once(service, staff_member, django_capture_on_commit_callbacks):
    service.salon.auto_confirm = False
    service.salon.save()
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))
    assert booking.reminders.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        booking_confirm(booking=booking, actor=Actor.staff(None))
    assert booking.reminders.count() == 2


def test_offsets_come_from_the_setting(settings, service, staff_member, django_capture_on_commit_callbacks):
    settings.REMINDER_OFFSETS = ["1d", "90m"]
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))
    reminders = live(booking)
    assert set(reminders) == {"1d", "90m"}
    assert reminders["90m"].due_at == booking.start - dt.timedelta(minutes=90)


def test_cancelling_the_booking_cancels_its_reminders(booking, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, actor=Actor.customer())
    assert live(booking) == {}
    assert set(booking.reminders.values_list("status", flat=True)) == {S.CANCELLED}


def test_rescheduling_moves_the_reminders_to_the_new_time(booking, service, django_capture_on_commit_callbacks):
    old = {r.pk for r in live(booking).values()}
    new_start = next_local(service.salon, days=5, at=dt.time(15))
    with django_capture_on_commit_callbacks(execute=True):
        booking_reschedule(booking=booking, start=new_start, actor=Actor.customer())
    reminders = live(booking)
    assert {kind: r.due_at for kind, r in reminders.items()} == {
        "24h": new_start - dt.timedelta(hours=24),
        "2h": new_start - dt.timedelta(hours=2),
    }
    assert not old & {r.pk for r in reminders.values()}
    assert set(Reminder.objects.filter(pk__in=old).values_list("status", flat=True)) == {S.CANCELLED}


def test_rescheduling_back_to_the_first_time_schedules_again(booking, service, django_capture_on_commit_callbacks):
    first = booking.start
    with django_capture_on_commit_callbacks(execute=True):
        booking_reschedule(booking=booking, start=next_local(service.salon, days=5), actor=Actor.customer())
    with django_capture_on_commit_callbacks(execute=True):
        booking_reschedule(booking=booking, start=first, actor=Actor.customer())
    assert {kind: r.due_at for kind, r in live(booking).items()} == {
        "24h": first - dt.timedelta(hours=24),
        "2h": first - dt.timedelta(hours=2),
    }


def test_booking_inside_the_24h_window_sends_one_reminder_at_once(
    service, staff_member, django_capture_on_commit_callbacks, eager_tasks, capsys
):
    start = (timezone.now() + dt.timedelta(hours=5)).astimezone(service.salon.tz).replace(
        minute=0, second=0, microsecond=0
    )
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(service=service, staff_member=staff_member, start=start)
    by_kind = {r.kind: r for r in booking.reminders.all()}
    assert by_kind["24h"].status == S.SENT  # console backend in development
    assert by_kind["24h"].provider_message_id.startswith("console-")
    assert by_kind["2h"].status == S.SCHEDULED
    assert "reminder of your Cut" in capsys.readouterr().out


def test_booking_inside_every_window_gets_a_single_reminder(service, staff_member, django_capture_on_commit_callbacks):
    trim = ServiceFactory(salon=service.salon, name="Trim", duration_minutes=15)
    staff_member.services.add(trim)
    now = timezone.now()
    # Any free slot 60-110 minutes ahead (the last slot before midnight is not offered).
    slot = staff_member.slots.filter(
        status=Slot.Status.AVAILABLE, start__gt=now + dt.timedelta(minutes=60), start__lt=now + dt.timedelta(minutes=110)
    ).earliest("start")
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(service=trim, staff_member=staff_member, start=slot.start)
    assert list(booking.reminders.values_list("kind", flat=True)) == ["2h"]
    # Scheduling again (confirm, a retried event) adds nothing.
    reminders_schedule(booking=booking)
    assert booking.reminders.count() == 1


def test_reminder_whose_appointment_passed_is_expired_not_sent(booking, settings):
    expired = []

    def on_expired(sender, reminder_id, **kwargs):
        expired.append(reminder_id)

    reminder_expired.connect(on_expired)
    try:
        result = reminders_dispatch_due(now=booking.start + dt.timedelta(minutes=1))
    finally:
        reminder_expired.disconnect(on_expired)
    assert result.claimed == []
    assert set(booking.reminders.values_list("status", flat=True)) == {S.EXPIRED}
    assert sorted(expired) == sorted(booking.reminders.values_list("pk", flat=True))

