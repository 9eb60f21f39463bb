import datetime as dt

import pytest
from django.utils import timezone

from bookings.messages.scheduling import reminders_schedule
from bookings.services import Actor, booking_cancel, booking_confirm, booking_reschedule
from bookings.tests.factories import make_booking, next_local
from bookings.tests.helpers import messages_of
from messaging.dispatch import messages_dispatch_due
from messaging.models import Message
from messaging.signals import message_expired
from salons.tests.factories import ServiceFactory
from slots.models import Slot

pytestmark = pytest.mark.django_db

S = Message.Status


def reminders_of(booking):
    return messages_of(booking).filter(kind__startswith="reminder_")


def live(booking):
    return {r.kind: r for r in reminders_of(booking).filter(status__in=(S.SCHEDULED, S.QUEUED, S.SENDING))}


@pytest.fixture
def booking(service, staff_member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))


def test_a_new_booking_gets_a_reminder_24h_and_2h_before(booking):
    reminders = live(booking)
    assert set(reminders) == {"reminder_24h", "reminder_2h"}
    assert reminders["reminder_24h"].due_at == booking.start - dt.timedelta(hours=24)
    assert reminders["reminder_2h"].due_at == booking.start - dt.timedelta(hours=2)
    assert {r.status for r in reminders.values()} == {S.SCHEDULED}
    assert reminders["reminder_24h"].next_attempt_at == reminders["reminder_24h"].due_at


def test_created_and_confirmed_events_schedule_each_kind_once(service, staff_member, django_capture_on_commit_callbacks):
    service.salon.auto_confirm = False
    service.salon.save()
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))
    assert reminders_of(booking).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        booking_confirm(booking=booking, actor=Actor.staff(None))
    assert reminders_of(booking).count() == 2


def test_offsets_come_from_the_setting(settings, service, staff_member, django_capture_on_commit_callbacks):
    settings.REMINDER_OFFSETS = ["1d", "90m"]
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))
    reminders = live(booking)
    assert set(reminders) == {"reminder_1d", "reminder_90m"}
    assert reminders["reminder_90m"].due_at == booking.start - dt.timedelta(minutes=90)


def test_cancelling_the_booking_cancels_its_reminders(booking, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, actor=Actor.customer())
    assert live(booking) == {}
    assert set(reminders_of(booking).values_list("status", flat=True)) == {S.CANCELLED}


def test_rescheduling_moves_the_reminders_to_the_new_time(booking, service, django_capture_on_commit_callbacks):
    old = {r.pk for r in live(booking).values()}
    new_start = next_local(service.salon, days=5, at=dt.time(15))
    with django_capture_on_commit_callbacks(execute=True):
        booking_reschedule(booking=booking, start=new_start, actor=Actor.customer())
    reminders = live(booking)
    assert {kind: r.due_at for kind, r in reminders.items()} == {
        "reminder_24h": new_start - dt.timedelta(hours=24),
        "reminder_2h": new_start - dt.timedelta(hours=2),
    }
    assert not old & {r.pk for r in reminders.values()}
    assert set(Message.objects.filter(pk__in=old).values_list("status", flat=True)) == {S.CANCELLED}


def test_rescheduling_back_to_the_first_time_schedules_again(booking, service, django_capture_on_commit_callbacks):
    first = booking.start
    with django_capture_on_commit_callbacks(execute=True):
        booking_reschedule(booking=booking, start=next_local(service.salon, days=5), actor=Actor.customer())
    with django_capture_on_commit_callbacks(execute=True):
        booking_reschedule(booking=booking, start=first, actor=Actor.customer())
    assert {kind: r.due_at for kind, r in live(booking).items()} == {
        "reminder_24h": first - dt.timedelta(hours=24),
        "reminder_2h": first - dt.timedelta(hours=2),
    }


def test_booking_inside_the_24h_window_gets_its_confirmation_and_no_reminder_with_it(
    service, staff_member, django_capture_on_commit_callbacks, eager_tasks, capsys
):
    start = (timezone.now() + dt.timedelta(hours=5)).astimezone(service.salon.tz).replace(
        minute=0, second=0, microsecond=0
    )
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(service=service, staff_member=staff_member, start=start)
    by_kind = {r.kind: r for r in messages_of(booking).all()}
    assert by_kind["booking_confirmed"].status == S.SENT  # console backend in development
    assert by_kind["booking_confirmed"].provider_message_id.startswith("console-")
    # The past-due 24 h reminder would go out with the confirmation: it is not written.
    assert "reminder_24h" not in by_kind
    assert by_kind["reminder_2h"].status == S.SCHEDULED
    out = capsys.readouterr().out
    assert "is confirmed" in out and "reminder of your Cut" not in out


def test_booking_made_just_over_24h_ahead_gets_no_reminder_in_the_same_half_hour(
    service, staff_member, django_capture_on_commit_callbacks
):
    now = timezone.now()
    slot = staff_member.slots.filter(
        status=Slot.Status.AVAILABLE,
        start__gt=now + dt.timedelta(hours=24, minutes=5),
        start__lt=now + dt.timedelta(hours=24, minutes=25),
    ).earliest("start")
    booking = make_booking(service=service, staff_member=staff_member, start=slot.start, now=now)
    assert set(live(booking)) == {"reminder_2h"}


def test_booking_inside_every_window_gets_a_single_reminder(service, staff_member, django_capture_on_commit_callbacks):
    trim = ServiceFactory(salon=service.salon, name="Trim", duration_minutes=15)
    staff_member.services.add(trim)
    now = timezone.now()
    # Any free slot 60-110 minutes ahead (the last slot before midnight is not offered).
    slot = staff_member.slots.filter(
        status=Slot.Status.AVAILABLE, start__gt=now + dt.timedelta(minutes=60), start__lt=now + dt.timedelta(minutes=110)
    ).earliest("start")
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(service=trim, staff_member=staff_member, start=slot.start, now=now)
    later = now + dt.timedelta(minutes=31)
    assert list(reminders_of(booking).values_list("kind", flat=True)) == []  # with the confirmation: dropped
    # Scheduled again later (no confirmation then): one reminder for the time, at once; then nothing more.
    assert [m.kind for m in reminders_schedule(booking=booking, now=later)] == ["reminder_2h"]
    assert reminders_schedule(booking=booking, now=later) == []
    assert reminders_of(booking).count() == 1


def test_reminder_whose_appointment_passed_is_expired_not_sent(booking, settings):
    expired = []

    def on_expired(sender, message_id, **kwargs):
        expired.append(message_id)

    message_expired.connect(on_expired)
    try:
        result = messages_dispatch_due(now=booking.start + dt.timedelta(minutes=1))
    finally:
        message_expired.disconnect(on_expired)
    assert result.claimed == []
    assert set(reminders_of(booking).values_list("status", flat=True)) == {S.EXPIRED}
    # Every message that had not gone yet expired with them, each reported once.
    assert sorted(expired) == sorted(messages_of(booking).filter(status=S.EXPIRED).values_list("pk", flat=True))

