"""Blocking and unblocking a staff member's time from the staff pages."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.tests.factories import make_booking, next_local
from slots.holds import Holder, held_slots
from slots.models import Slot
from slots.selectors import day_bounds

pytestmark = pytest.mark.django_db


def tomorrow(salon):
    return timezone.localdate(timezone=salon.tz) + dt.timedelta(days=1)


def block(client, salon, staff_member, **overrides):
    data = {
        "staff_member": staff_member.pk,
        "date": tomorrow(salon).isoformat(),
        "start_time": "12:00",
        "end_time": "13:00",
        "reason": "Lunch",
    }
    data.update(overrides)
    return client.post(reverse("staff:block_time", kwargs={"slug": salon.slug}), data)


def slots_between(staff_member, start, end):
    return Slot.objects.filter(staff_member=staff_member, start__gte=start, start__lt=end)


def test_block_an_hour_on_the_salons_wall_clock(client, salon, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    response = block(client, salon, staff_member)

    assert response.status_code == 302
    assert response.url.endswith(f"?date={tomorrow(salon).isoformat()}")
    hour = slots_between(staff_member, next_local(salon, at=dt.time(12)), next_local(salon, at=dt.time(13)))
    assert hour.count() == 4
    assert set(hour.values_list("status", "block_reason")) == {(Slot.Status.BLOCKED, "Lunch")}
    assert (
        slots_between(staff_member, next_local(salon, at=dt.time(13)), next_local(salon, at=dt.time(14)))
        .filter(status=Slot.Status.BLOCKED)
        .count()
        == 0
    )
    agenda = client.get(response.url).content.decode()
    assert "Blocked 60 minutes" in agenda
    assert "Lunch" in agenda and "Unblock" in agenda


def test_block_a_whole_day_off_leaves_bookings_alone(client, salon, service, staff_member, staff_of_salon):
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(salon))
    client.force_login(staff_of_salon)

    block(client, salon, staff_member, whole_day="on", start_time="", end_time="", reason="Day off")

    begin, end = day_bounds(salon, tomorrow(salon))
    day = slots_between(staff_member, begin, end)
    assert day.filter(status=Slot.Status.AVAILABLE).count() == 0
    assert day.filter(status=Slot.Status.BOOKED).count() == held_slots(Holder.booking(booking.pk)).count() == 2


def test_end_before_start_is_a_field_error(client, salon, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    response = block(client, salon, staff_member, start_time="14:00", end_time="13:00")
    assert response.status_code == 200
    assert "The end must be after the start." in response.content.decode()
    assert not Slot.objects.filter(status=Slot.Status.BLOCKED).exists()


def test_missing_times_are_field_errors(client, salon, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    response = block(client, salon, staff_member, start_time="", end_time="")
    assert "Enter when the blocked time starts" in response.content.decode()


def test_unblock_makes_the_time_bookable_again(client, salon, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    block(client, salon, staff_member)
    blocked = list(Slot.objects.filter(status=Slot.Status.BLOCKED).values_list("pk", flat=True))

    response = client.post(reverse("staff:unblock", kwargs={"slug": salon.slug}), {"slot": blocked})

    assert response.status_code == 302
    assert not Slot.objects.filter(status=Slot.Status.BLOCKED).exists()
    assert "Unblocked 60 minutes" in client.get(response.url).content.decode()


def test_another_salons_staff_cannot_block_or_unblock(
    client, salon, staff_member, staff_of_salon, staff_of_other_salon
):
    client.force_login(staff_of_salon)
    block(client, salon, staff_member)
    blocked = list(Slot.objects.filter(status=Slot.Status.BLOCKED).values_list("pk", flat=True))
    client.force_login(staff_of_other_salon)

    assert block(client, salon, staff_member, start_time="15:00", end_time="16:00").status_code == 404
    response = client.post(reverse("staff:unblock", kwargs={"slug": salon.slug}), {"slot": blocked})
    assert response.status_code == 404
    assert Slot.objects.filter(status=Slot.Status.BLOCKED).count() == 4


def test_unblock_ignores_slots_of_other_salons(client, salon, staff_member, staff_of_salon, staff_of_other_salon):
    other_member = staff_of_other_salon.staff_member
    client.force_login(staff_of_other_salon)
    other_slot = Slot.objects.create(
        salon=other_member.salon,
        staff_member=other_member,
        start=next_local(salon),
        end=next_local(salon, at=dt.time(10, 15)),
    )
    client.force_login(staff_of_salon)
    response = client.post(reverse("staff:unblock", kwargs={"slug": salon.slug}), {"slot": [other_slot.pk]})
    assert response.status_code == 302
    assert "Nothing to unblock." in client.get(response.url).content.decode()


def test_block_form_is_prefilled_for_the_staff_member(client, salon, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    response = client.get(reverse("staff:block_time", kwargs={"slug": salon.slug}), {"date": "2030-01-02"})
    body = response.content.decode()
    assert f'<option value="{staff_member.pk}" selected>' in body
    assert 'value="2030-01-02"' in body
