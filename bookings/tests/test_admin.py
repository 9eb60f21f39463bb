import datetime as dt

import pytest
from django.urls import reverse

from bookings.models import Booking
from bookings.tests.factories import make_booking, next_local
from slots.models import Slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(service, staff_member):
    service.salon.auto_confirm = False
    service.salon.save()
    return make_booking(service=service, staff_member=staff_member, start=next_local(service.salon), name="Ana Silva")


@pytest.mark.parametrize(
    "model", ["salons.salon", "salons.service", "salons.staffmember", "slots.slot", "bookings.booking", "messaging.message", "messaging.inboundreply", "bookings.idempotencykey"]
)
def test_every_model_has_a_working_admin_list(admin_client, booking, model):
    app, name = model.split(".")
    response = admin_client.get(reverse(f"admin:{app}_{name}_changelist"))
    assert response.status_code == 200


def test_booking_admin_searches_by_customer_and_reference(admin_client, booking):
    url = reverse("admin:bookings_booking_changelist")
    assert booking.reference in admin_client.get(url, {"q": "Ana"}).content.decode()
    assert booking.reference in admin_client.get(url, {"q": booking.reference}).content.decode()
    assert booking.reference not in admin_client.get(url, {"q": "Nobody"}).content.decode()
    assert admin_client.get(url, {"status__exact": "pending"}).status_code == 200


def test_booking_page_shows_history_and_hides_the_token(admin_client, booking):
    page = admin_client.get(reverse("admin:bookings_booking_change", args=[booking.pk])).content.decode()
    assert "Booking status changes" in page
    assert "customer" in page and "pending" in page
    assert booking.manage_token not in page


def test_admin_action_confirms_through_the_service(admin_client, admin_user, booking):
    response = admin_client.post(
        reverse("admin:bookings_booking_changelist"),
        {"action": "confirm_bookings", "_selected_action": [booking.pk]},
        follow=True,
    )
    assert response.status_code == 200
    booking = Booking.objects.get(pk=booking.pk)
    assert booking.status == Booking.Status.CONFIRMED
    last = booking.history.last()
    assert (last.actor, last.actor_user) == ("staff", admin_user)


def test_refused_admin_action_shows_a_message_and_changes_nothing(admin_client, booking):
    response = admin_client.post(
        reverse("admin:bookings_booking_changelist"),
        {"action": "complete_bookings", "_selected_action": [booking.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "cannot complete" in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.PENDING


def test_admin_cancel_frees_the_slots(admin_client, booking):
    admin_client.post(
        reverse("admin:bookings_booking_changelist"),
        {"action": "cancel_bookings", "_selected_action": [booking.pk]},
    )
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELLED
    assert not Slot.objects.filter(staff_member=booking.staff_member, status="booked").exists()


def test_slot_admin_blocks_and_reports_refusals(admin_client, booking):
    free = Slot.objects.filter(status="available").first()
    booked = Slot.objects.filter(status="booked").first()
    response = admin_client.post(
        reverse("admin:slots_slot_changelist"),
        {"action": "block_slots", "_selected_action": [free.pk, booked.pk]},
        follow=True,
    )
    assert "1 slot(s) blocked" in response.content.decode()
    assert Slot.objects.get(pk=free.pk).status == "blocked"
    assert Slot.objects.get(pk=booked.pk).status == "booked"


def test_editing_working_hours_in_admin_regenerates_slots(admin_client, salon, service, django_capture_on_commit_callbacks):
    from salons.tests.factories import StaffMemberFactory

    member = StaffMemberFactory(salon=salon, services=[service], hours=False)
    url = reverse("admin:salons_staffmember_change", args=[member.pk])
    data = {
        "salon": salon.pk,
        "name": member.name,
        "role": "stylist",
        "services": [service.pk],
        "is_active": "on",
        "working_hours-TOTAL_FORMS": "1",
        "working_hours-INITIAL_FORMS": "0",
        "working_hours-0-weekday": str((dt.date.today() + dt.timedelta(days=2)).weekday()),
        "working_hours-0-start_time": "09:00",
        "working_hours-0-end_time": "10:00",
        "days_off-TOTAL_FORMS": "0",
        "days_off-INITIAL_FORMS": "0",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Slot.objects.filter(staff_member=member).count() >= 4
