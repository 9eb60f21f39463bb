"""Staff pages of the waitlist: the agenda panel, the desk form, offering by
hand and withdrawing; and offers made when new hours bring new slots."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.tests.factories import next_local
from salons.tests.factories import StaffMemberFactory
from slots.models import Slot
from slots.services import slots_sync_for_staff
from waitlist.models import WaitlistEntry, WaitlistOffer
from waitlist.services import waitlist_join

pytestmark = pytest.mark.django_db


def _entry(service, days=1):
    day = timezone.localdate(timezone=service.salon.tz) + dt.timedelta(days=days)
    return waitlist_join(
        salon=service.salon,
        service=service,
        staff_member=None,
        date_from=day,
        date_to=day,
        customer_name="Wendy Waiting",
        customer_phone="+447911123481",
    )


def test_agenda_lists_waiting_entries_with_free_times_to_offer(client, salon, service, staff_member, staff_of_salon):
    entry = _entry(service)
    client.force_login(staff_of_salon)
    day = entry.date_from
    response = client.get(reverse("staff:agenda", kwargs={"slug": salon.slug}), {"date": day.isoformat()})
    html = response.content.decode()
    assert "Waitlist for this day" in html and "Wendy Waiting" in html
    assert reverse("staff:waitlist_offer", kwargs={"slug": salon.slug, "reference": entry.reference}) in html


def test_staff_offer_by_hand_then_withdraw(client, salon, service, staff_member, staff_of_salon):
    entry = _entry(service)
    client.force_login(staff_of_salon)
    start = next_local(salon, days=1, at=dt.time(14))
    url = reverse("staff:waitlist_offer", kwargs={"slug": salon.slug, "reference": entry.reference})
    response = client.post(url, {"start": f"{staff_member.pk}|{start.isoformat()}"})
    assert response.status_code == 302
    offer = WaitlistOffer.objects.get(entry=entry, status="live")
    assert offer.by_hand and offer.start == start
    withdraw = reverse("staff:waitlist_withdraw", kwargs={"slug": salon.slug, "reference": entry.reference})
    client.post(withdraw)
    offer.refresh_from_db()
    assert offer.status == WaitlistOffer.Status.WITHDRAWN
    assert Slot.objects.get(staff_member=staff_member, start=start).status == Slot.Status.AVAILABLE


def test_staff_of_another_salon_cannot_offer_here(client, salon, service, staff_member, staff_of_other_salon):
    entry = _entry(service)
    client.force_login(staff_of_other_salon)
    start = next_local(salon, days=1, at=dt.time(14))
    url = reverse("staff:waitlist_offer", kwargs={"slug": salon.slug, "reference": entry.reference})
    assert client.post(url, {"start": f"{staff_member.pk}|{start.isoformat()}"}).status_code == 404
    assert not WaitlistOffer.objects.exists()


def test_desk_form_adds_an_entry_and_shows_a_clear_reason(client, salon, service, staff_member, staff_of_salon):
    client.force_login(staff_of_salon)
    url = reverse("staff:waitlist_add", kwargs={"slug": salon.slug})
    day = timezone.localdate(timezone=salon.tz) + dt.timedelta(days=1)
    form = {
        "service": service.pk,
        "date_from": day.isoformat(),
        "date_to": day.isoformat(),
        "customer_name": "Desk Customer",
        "customer_phone": "+447911123482",
    }
    assert client.post(url, form).status_code == 302
    assert WaitlistEntry.objects.get().customer_name == "Desk Customer"
    refused = client.post(url, {**form, "earliest": "12:00", "latest": "11:00"})
    assert "The latest start must be after the earliest." in refused.content.decode()


def test_new_hours_offer_their_new_slots_to_a_waiting_entry(salon, service):
    member = StaffMemberFactory(salon=salon, services=[service], hours=False)
    entry = _entry(service, days=2)
    assert not Slot.objects.filter(staff_member=member).exists()
    member.working_hours.create(weekday=entry.date_from.weekday(), start_time=dt.time(9), end_time=dt.time(12))
    slots_sync_for_staff(staff_member=member, days=4)
    offer = WaitlistOffer.objects.get(entry=entry)
    assert offer.staff_member == member
    assert timezone.localtime(offer.start, salon.tz).time() == dt.time(9)
