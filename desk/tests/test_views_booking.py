"""The staff booking page and its buttons: one per move the state machine allows."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from bookings.models import Booking, BookingStatusChange, Message
from bookings.tests.factories import make_booking, make_past_booking, next_local
from slots.holds import Holder, held_slots
from slots.models import Slot

pytestmark = pytest.mark.django_db


def page(client, booking):
    return client.get(reverse("staff:booking", kwargs={"reference": booking.reference}))


def move(client, booking, name, **data):
    return client.post(reverse("staff:booking_move", kwargs={"reference": booking.reference, "move": name}), data)


def move_url(booking, name):
    return reverse("staff:booking_move", kwargs={"reference": booking.reference, "move": name})


@pytest.fixture
def pending(salon, service, staff_member):
    salon.auto_confirm = False
    salon.save()
    return make_booking(service=service, staff_member=staff_member, start=next_local(salon), name="Ana Silva")


@pytest.fixture
def confirmed(service, staff_member):
    return make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, at=dt.time(15)))


def test_page_shows_details_history_reminders_and_whatsapp(client, confirmed, staff_of_salon):
    Message.objects.filter(booking=confirmed, kind="booking_confirmed").update(
        status=Message.Status.SENT, delivery_status=Message.Delivery.READ, read_at=confirmed.start - dt.timedelta(days=1)
    )
    client.force_login(staff_of_salon)

    body = page(client, confirmed).content.decode()

    assert "Ana Silva" in body and "+447911123456" in body and confirmed.reference in body
    assert "15:00–15:30" in body
    assert "Pending → Confirmed" in body and "by system" in body
    assert "Reminder 2h before" in body and "Scheduled" in body
    assert "Booking confirmed" in body and "read " in body
    assert 'href="https://wa.me/447911123456?text=' in body


def test_pending_booking_offers_confirm_and_cancel_only(client, pending, staff_of_salon):
    client.force_login(staff_of_salon)
    body = page(client, pending).content.decode()
    assert move_url(pending, "confirm") in body
    assert move_url(pending, "cancel") in body
    assert move_url(pending, "complete") not in body
    assert move_url(pending, "no_show") not in body


def test_future_confirmed_booking_offers_only_cancel(client, confirmed, staff_of_salon):
    client.force_login(staff_of_salon)
    body = page(client, confirmed).content.decode()
    assert move_url(confirmed, "cancel") in body
    for refused in ("confirm", "complete", "no_show"):
        assert move_url(confirmed, refused) not in body


def test_started_booking_offers_complete_and_no_show_not_cancel(client, service, staff_member, staff_of_salon):
    started = make_past_booking(service=service, staff_member=staff_member)
    client.force_login(staff_of_salon)
    body = page(client, started).content.decode()
    assert move_url(started, "complete") in body and move_url(started, "no_show") in body
    assert move_url(started, "cancel") not in body
    assert "Move to another time" not in body


def test_final_booking_offers_no_buttons(client, confirmed, staff_of_salon):
    client.force_login(staff_of_salon)
    move(client, confirmed, "cancel")
    body = page(client, confirmed).content.decode()
    assert "nothing more can change" in body
    assert "/cancel/" not in body


def test_staff_confirm_is_recorded_with_their_name(client, pending, staff_of_salon):
    client.force_login(staff_of_salon)
    response = move(client, pending, "confirm")
    assert response.status_code == 302 and response.url == reverse("staff:booking", kwargs={"reference": pending.reference})
    pending.refresh_from_db()
    assert pending.status == Booking.Status.CONFIRMED
    change = pending.history.last()
    assert (change.actor, change.actor_user) == (BookingStatusChange.Actor.STAFF, staff_of_salon)
    assert "Ana Silva: booking confirmed." in client.get(response.url).content.decode()


def test_cancel_keeps_the_reason_and_frees_the_time(client, confirmed, staff_of_salon):
    client.force_login(staff_of_salon)
    held = list(held_slots(Holder.booking(confirmed.pk)).values_list("pk", flat=True))
    move(client, confirmed, "cancel", reason="Customer phoned")
    confirmed.refresh_from_db()
    assert confirmed.status == Booking.Status.CANCELLED
    assert confirmed.history.last().note == "Customer phoned"
    assert set(Slot.objects.filter(pk__in=held).values_list("status", flat=True)) == {Slot.Status.AVAILABLE}


def test_complete_and_no_show_after_the_start(client, service, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    done = make_past_booking(service=service, staff_member=staff_member, hours_ago=2)
    missed = make_past_booking(service=service, staff_member=staff_member, hours_ago=4)
    move(client, done, "complete")
    move(client, missed, "no_show")
    done.refresh_from_db()
    missed.refresh_from_db()
    assert (done.status, missed.status) == (Booking.Status.COMPLETED, Booking.Status.NO_SHOW)


def test_refused_move_shows_a_message_not_an_error_page(client, confirmed, staff_of_salon):
    client.force_login(staff_of_salon)
    response = move(client, confirmed, "complete")
    assert response.status_code == 302
    confirmed.refresh_from_db()
    assert confirmed.status == Booking.Status.CONFIRMED
    followed = client.get(response.url)
    assert followed.status_code == 200
    assert "once the appointment has started" in followed.content.decode()
    assert 'role="alert"' in followed.content.decode()


def test_unknown_move_is_404_and_get_is_refused(client, confirmed, staff_of_salon):
    client.force_login(staff_of_salon)
    assert move(client, confirmed, "delete").status_code == 404
    assert client.get(move_url(confirmed, "cancel")).status_code == 405


def test_staff_of_another_salon_cannot_see_or_change_the_booking(client, confirmed, staff_of_other_salon):
    client.force_login(staff_of_other_salon)
    assert page(client, confirmed).status_code == 404
    assert move(client, confirmed, "cancel").status_code == 404
    confirmed.refresh_from_db()
    assert confirmed.status == Booking.Status.CONFIRMED


def test_stranger_is_sent_to_login_and_changes_nothing(client, confirmed):
    assert page(client, confirmed).status_code == 302
    assert move(client, confirmed, "cancel").status_code == 302
    confirmed.refresh_from_db()
    assert confirmed.status == Booking.Status.CONFIRMED


def test_admin_can_manage_any_salons_booking(client, confirmed, admin_user):
    client.force_login(admin_user)
    assert page(client, confirmed).status_code == 200
    move(client, confirmed, "cancel")
    confirmed.refresh_from_db()
    assert confirmed.status == Booking.Status.CANCELLED


def test_a_move_without_the_csrf_token_is_refused(confirmed, staff_of_salon):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_of_salon)
    assert move(client, confirmed, "cancel").status_code == 403
    confirmed.refresh_from_db()
    assert confirmed.status == Booking.Status.CONFIRMED


def test_next_only_redirects_to_this_site(client, pending, staff_of_salon):
    client.force_login(staff_of_salon)
    assert move(client, pending, "confirm", next="/staff/").url == "/staff/"
    assert move(client, pending, "confirm", next="https://evil.example/").url.startswith("/staff/bookings/")


def reschedule(client, booking, when, staff_member, **overrides):
    from desk.forms import DeskBookingForm

    data = {
        "action": "move",
        "staff": staff_member.pk,
        "date": when.astimezone(booking.salon.tz).date().isoformat(),
        "start": DeskBookingForm.start_value(staff_member.pk, when),
    }
    data.update(overrides)
    return client.post(reverse("staff:booking_reschedule", kwargs={"reference": booking.reference}), data)


def test_move_to_another_free_time_keeps_the_status(client, confirmed, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    assert reverse("staff:booking_reschedule", kwargs={"reference": confirmed.reference}) in page(client, confirmed).content.decode()
    later = next_local(confirmed.salon, at=dt.time(17))

    response = reschedule(client, confirmed, later, staff_member)

    assert response.status_code == 302
    confirmed.refresh_from_db()
    assert (confirmed.start, confirmed.status) == (later, Booking.Status.CONFIRMED)
    assert set(held_slots(Holder.booking(confirmed.pk)).values_list("start", flat=True)) == {
        later, later + dt.timedelta(minutes=15)
    }
    assert "Moved Ana Silva to" in client.get(response.url).content.decode()


def test_move_page_offers_the_free_times_and_says_when_one_was_taken(client, confirmed, service, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    url = reverse("staff:booking_reschedule", kwargs={"reference": confirmed.reference})
    assert 'name="start"' in client.get(url).content.decode()
    taken = next_local(confirmed.salon, at=dt.time(18))
    make_booking(service=service, staff_member=staff_member, start=taken, name="Someone Else")

    response = reschedule(client, confirmed, taken, staff_member)

    assert response.status_code == 200
    assert "has just been taken" in response.content.decode()
    confirmed.refresh_from_db()
    assert confirmed.start == next_local(confirmed.salon, at=dt.time(15))


def test_moving_a_cancelled_booking_is_refused_with_a_message(client, confirmed, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    move(client, confirmed, "cancel")
    assert "Move to another time" not in page(client, confirmed).content.decode()

    response = reschedule(client, confirmed, next_local(confirmed.salon, at=dt.time(17)), staff_member)

    assert response.status_code == 302
    assert "cannot be moved" in client.get(response.url).content.decode()


def test_staff_of_another_salon_cannot_move_the_booking(client, confirmed, staff_member, staff_of_other_salon):
    client.force_login(staff_of_other_salon)
    assert reschedule(client, confirmed, next_local(confirmed.salon, at=dt.time(17)), staff_member).status_code == 404


def test_a_time_with_someone_other_than_the_chosen_staff_member_is_not_moved_to(
    client, confirmed, service, staff_member, staff_of_salon
):
    from salons.tests.factories import StaffMemberFactory
    from slots.services import slots_sync_for_staff

    colleague = StaffMemberFactory(salon=confirmed.salon, services=[service])
    slots_sync_for_staff(staff_member=colleague, days=3)
    client.force_login(staff_of_salon)
    later = next_local(confirmed.salon, at=dt.time(17))

    response = reschedule(client, confirmed, later, colleague, staff=staff_member.pk)

    assert response.status_code == 200
    assert "Choose one of the free times shown." in response.content.decode()
    confirmed.refresh_from_db()
    assert (confirmed.start, confirmed.staff_member) == (next_local(confirmed.salon, at=dt.time(15)), staff_member)
