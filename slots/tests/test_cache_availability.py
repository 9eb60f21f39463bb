"""Cached availability: fresh right after every committed change, one Redis
round trip and no SQL on a hit, 5 minutes at most."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from bookings.services import Actor, booking_cancel, booking_reschedule
from bookings.tests.factories import make_booking, next_local
from salonbook.events import cache_accessed
from salons.models import Salon, Service
from salons.schedules import day_off_add, working_hours_set
from salons.services import business_info_delete, business_info_save, salon_update
from salons.tests.factories import StaffMemberFactory
from slots.availability import availability_for_day
from slots.cache import AVAILABILITY_TTL, availability_ttl, cached_availability
from slots.models import Slot
from slots.services import slot_block, slot_unblock, slots_block_range, slots_generate

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["configured", "redis"])
def cache_store(request, settings):
    """Each test runs on the cache the settings configure (local memory without
    REDIS_URL) and on a real Redis."""
    if request.param == "redis":
        return request.getfixturevalue("redis_content_cache")
    return caches["default"]


def build_for(salon_id: int, service_id: int, day: dt.date, staff_member_id: int | None = None):
    """What the API builds on a miss: read everything afresh, answer JSON."""

    def build():
        salon = Salon.objects.get(pk=salon_id)
        service = Service.objects.get(pk=service_id)
        free = availability_for_day(salon=salon, day=day, service=service, staff_member_id=staff_member_id)
        return {
            "date": day.isoformat(),
            "timezone": salon.timezone,
            "service": service.pk,
            "slots": [
                {"start": f.start.isoformat(), "end": f.end.isoformat(), "staff": f.staff_member_id} for f in free
            ],
        }

    return build


def read(service, day, staff_member_id=None):
    return cached_availability(
        slug=service.salon.slug,
        day=day,
        service_id=service.pk,
        staff_member_id=staff_member_id,
        build=build_for(service.salon_id, service.pk, day, staff_member_id),
    )


def fresh(service, day, staff_member_id=None):
    return build_for(service.salon_id, service.pk, day, staff_member_id)()


def starts(answer) -> list[str]:
    return [s["start"] for s in answer["slots"]]


def local_day(salon, days: int = 1) -> dt.date:
    return timezone.localdate(timezone=salon.tz) + dt.timedelta(days=days)


def warm(service, day, staff_member_id=None):
    """Read twice, so the second answer is known to come from the cache."""
    read(service, day, staff_member_id)
    hits = []

    def listen(sender, *, kind, hit, **kwargs):
        hits.append(hit)

    cache_accessed.connect(listen)
    try:
        answer = read(service, day, staff_member_id)
    finally:
        cache_accessed.disconnect(listen)
    assert hits == [True]
    return answer


# --- Hits and misses ------------------------------------------------------------------


def test_second_read_is_a_hit_and_does_not_build_again(cache_store, service, staff_member):
    day = local_day(service.salon)
    calls = []

    def build():
        calls.append(1)
        return fresh(service, day)

    events = []
    cache_accessed.connect(lambda sender, **kw: events.append((kw["kind"], kw["hit"])), weak=False, dispatch_uid="t")
    try:
        first = cached_availability(
            slug=service.salon.slug, day=day, service_id=service.pk, staff_member_id=None, build=build
        )
        second = cached_availability(
            slug=service.salon.slug, day=day, service_id=service.pk, staff_member_id=None, build=build
        )
    finally:
        cache_accessed.disconnect(dispatch_uid="t")
    assert first == second and first["slots"]
    assert calls == [1]
    assert events == [("availability", False), ("availability", True)]


def test_entries_are_kept_apart_by_day_service_and_staff(cache_store, salon, service, staff_member):
    other_member = StaffMemberFactory(salon=salon, services=[service])
    from slots.services import slots_sync_for_staff

    slots_sync_for_staff(staff_member=other_member, days=7)
    day = local_day(salon)
    everyone = read(service, day)
    only_first = read(service, day, staff_member.pk)
    next_day = read(service, day + dt.timedelta(days=1))
    assert {s["staff"] for s in everyone["slots"]} == {staff_member.pk, other_member.pk}
    assert {s["staff"] for s in only_first["slots"]} == {staff_member.pk}
    assert next_day["date"] == (day + dt.timedelta(days=1)).isoformat()


def test_cached_read_makes_no_sql_query_on_real_redis(
    redis_content_cache, service, staff_member, django_assert_num_queries
):
    day = local_day(service.salon)
    first = read(service, day)
    with django_assert_num_queries(0):
        second = read(service, day)
    assert second == first and second["slots"]


def test_cached_read_is_one_round_trip_to_redis(redis_content_cache, service, staff_member, monkeypatch):
    """Every command the cache sends, seen where redis-py writes it to the socket
    (the server's own counters would count other clients too)."""
    from redis.connection import Connection

    day = local_day(service.salon)
    read(service, day)
    sent: list[tuple[str, ...]] = []
    send_command, pack_commands = Connection.send_command, Connection.pack_commands

    def record(args):
        sent.append(tuple(a.decode() if isinstance(a, bytes) else str(a) for a in args))

    def sending(self, *args, **kwargs):
        record(args)
        return send_command(self, *args, **kwargs)

    def packing(self, commands):  # pipelines
        commands = list(commands)
        for command in commands:
            record(command)
        return pack_commands(self, commands)

    monkeypatch.setattr(Connection, "send_command", sending)
    monkeypatch.setattr(Connection, "pack_commands", packing)
    read(service, day)
    monkeypatch.undo()
    # Metrics may count the hit in Redis too; the cache's keys are "<KEY_PREFIX>:<version>:<key>".
    cache_commands = [command for command in sent if any(arg.startswith("sb:1:") for arg in command[1:])]
    assert [command[0] for command in cache_commands] == ["MGET"]
    assert len(cache_commands[0]) == 5  # the epoch, the salon's and the day's versions, the entry


def test_availability_is_kept_five_minutes_in_redis(redis_content_cache, service, staff_member):
    day = local_day(service.salon, days=2)
    read(service, day)
    client = redis_content_cache.client.get_client()
    keys = [k for k in client.keys("sb:*") if b":av:" in k and b":av:v:" not in k]
    assert len(keys) == 1
    assert AVAILABILITY_TTL - 5 <= client.ttl(keys[0]) <= AVAILABILITY_TTL == 300


def test_entry_never_outlives_the_first_start_it_offers():
    now = dt.datetime(2030, 5, 1, 9, 0, tzinfo=dt.UTC)
    soon = {"slots": [{"start": "2030-05-01T10:02:00+01:00"}, {"start": "2030-05-01T11:00:00+01:00"}]}
    assert availability_ttl(soon, now=now) == 120
    assert availability_ttl({"slots": [{"start": "2030-05-02T10:00:00+01:00"}]}, now=now) == 300
    assert availability_ttl({"slots": []}, now=now) == 300
    assert availability_ttl({"slots": [{"start": "2030-05-01T09:59:00+01:00"}]}, now=now) == 0


def test_a_change_committed_while_a_miss_builds_is_not_cached_as_fresh(
    cache_store, service, staff_member, django_capture_on_commit_callbacks
):
    """The reader read the versions before it built: the booking that commits
    in between moves a version on, so what the reader stores is already stale."""
    day = local_day(service.salon)
    start = next_local(service.salon, at=dt.time(10))
    stale_build = build_for(service.salon_id, service.pk, day)

    def build_then_someone_books():
        answer = stale_build()
        with django_capture_on_commit_callbacks(execute=True):
            make_booking(service=service, staff_member=staff_member, start=start)
        return answer

    racing = cached_availability(
        slug=service.salon.slug, day=day, service_id=service.pk, staff_member_id=None, build=build_then_someone_books
    )
    assert start.isoformat() in starts(racing)
    after = read(service, day)
    assert start.isoformat() not in starts(after)
    assert after == fresh(service, day)


# --- Every committed change shows at once ----------------------------------------------


def test_booking_removes_its_start_at_once(cache_store, service, staff_member, django_capture_on_commit_callbacks):
    day = local_day(service.salon)
    start = next_local(service.salon, at=dt.time(10))
    assert start.isoformat() in starts(warm(service, day))
    with django_capture_on_commit_callbacks(execute=True):
        make_booking(service=service, staff_member=staff_member, start=start)
    after = read(service, day)
    assert start.isoformat() not in starts(after)
    assert after == fresh(service, day)


def test_cancel_brings_the_start_back_at_once(cache_store, service, staff_member, django_capture_on_commit_callbacks):
    day = local_day(service.salon)
    start = next_local(service.salon, at=dt.time(11))
    booking = make_booking(service=service, staff_member=staff_member, start=start)
    assert start.isoformat() not in starts(warm(service, day))
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, actor=Actor.staff(None))
    assert start.isoformat() in starts(read(service, day))


def test_reschedule_updates_both_days_at_once(cache_store, service, staff_member, django_capture_on_commit_callbacks):
    salon = service.salon
    old_start = next_local(salon, days=1, at=dt.time(12))
    new_start = next_local(salon, days=2, at=dt.time(12))
    booking = make_booking(service=service, staff_member=staff_member, start=old_start)
    old_day, new_day = old_start.date(), new_start.date()
    assert old_start.isoformat() not in starts(warm(service, old_day))
    assert new_start.isoformat() in starts(warm(service, new_day))
    with django_capture_on_commit_callbacks(execute=True):
        booking_reschedule(booking=booking, start=new_start, actor=Actor.staff(None))
    assert old_start.isoformat() in starts(read(service, old_day))
    assert new_start.isoformat() not in starts(read(service, new_day))


def test_block_and_unblock_show_at_once(cache_store, service, staff_member, django_capture_on_commit_callbacks):
    day = local_day(service.salon)
    start = next_local(service.salon, at=dt.time(14))
    slot = Slot.objects.get(staff_member=staff_member, start=start)
    assert start.isoformat() in starts(warm(service, day))
    with django_capture_on_commit_callbacks(execute=True):
        slot_block(slot=slot, reason="lunch")
    assert start.isoformat() not in starts(warm(service, day))
    with django_capture_on_commit_callbacks(execute=True):
        slot_unblock(slot=slot)
    assert start.isoformat() in starts(read(service, day))


def test_blocking_a_range_shows_at_once(cache_store, service, staff_member, django_capture_on_commit_callbacks):
    day = local_day(service.salon)
    start = next_local(service.salon, at=dt.time(15))
    warm(service, day)
    with django_capture_on_commit_callbacks(execute=True):
        slots_block_range(staff_member=staff_member, start=start, end=start + dt.timedelta(hours=2), reason="course")
    after = read(service, day)
    assert start.isoformat() not in starts(after)
    assert after == fresh(service, day)


def test_new_working_hours_show_at_once(cache_store, service, staff_member, django_capture_on_commit_callbacks):
    day = local_day(service.salon)
    assert len(warm(service, day)["slots"]) > 40
    with django_capture_on_commit_callbacks(execute=True):
        working_hours_set(staff_member=staff_member, weekday=day.weekday(), start_time=dt.time(9), end_time=dt.time(12))
    after = read(service, day)
    assert after == fresh(service, day)
    assert starts(after)[0].startswith(f"{day.isoformat()}T09:00")
    assert len(after["slots"]) == 11  # 09:00 to 11:30, a 30-minute service in 15-minute slots


def test_day_off_shows_at_once(cache_store, service, staff_member, django_capture_on_commit_callbacks):
    day = local_day(service.salon, days=2)
    assert warm(service, day)["slots"]
    with django_capture_on_commit_callbacks(execute=True):
        day_off_add(staff_member=staff_member, date=day, reason="holiday")
    assert read(service, day)["slots"] == []


def test_longer_service_shows_at_once(cache_store, service, staff_member, django_capture_on_commit_callbacks):
    day = local_day(service.salon)
    late = dt.datetime.combine(day, dt.time(23, 15), tzinfo=service.salon.tz)  # the last 30 minutes of the day
    assert late.isoformat() in starts(warm(service, day))
    service.duration_minutes = 60
    with django_capture_on_commit_callbacks(execute=True):
        business_info_save(instance=service)
    after = read(service, day)
    assert late.isoformat() not in starts(after)
    assert after == fresh(service, day)


def test_deactivated_service_or_staff_shows_at_once(
    cache_store, service, staff_member, django_capture_on_commit_callbacks
):
    day = local_day(service.salon)
    assert warm(service, day)["slots"]
    staff_member.is_active = False
    with django_capture_on_commit_callbacks(execute=True):
        business_info_save(instance=staff_member)
    assert read(service, day)["slots"] == []


def test_salon_rules_show_at_once(cache_store, service, staff_member, django_capture_on_commit_callbacks):
    day = local_day(service.salon, days=3)
    assert warm(service, day)["slots"]
    with django_capture_on_commit_callbacks(execute=True):
        salon_update(salon=service.salon, booking_window_days=1)
    assert read(service, day)["slots"] == []


def test_deleted_working_hours_show_at_once(cache_store, service, staff_member, django_capture_on_commit_callbacks):
    day = local_day(service.salon)
    assert warm(service, day)["slots"]
    with django_capture_on_commit_callbacks(execute=True):
        business_info_delete(instance=staff_member.working_hours.get(weekday=day.weekday()))
    assert read(service, day)["slots"] == []


def test_generated_slots_show_at_once(cache_store, salon, service, staff_member, django_capture_on_commit_callbacks):
    newcomer = StaffMemberFactory(salon=salon, services=[service])  # no slots yet
    day = local_day(salon)
    assert {s["staff"] for s in warm(service, day)["slots"]} == {staff_member.pk}
    with django_capture_on_commit_callbacks(execute=True):
        slots_generate(salon=salon, days=7)
    assert {s["staff"] for s in read(service, day)["slots"]} == {staff_member.pk, newcomer.pk}


def test_service_edited_in_admin_shows_at_once(
    cache_store, admin_client, service, staff_member, django_capture_on_commit_callbacks
):
    day = local_day(service.salon)
    late = dt.datetime.combine(day, dt.time(23, 15), tzinfo=service.salon.tz)  # the last 30 minutes of the day
    assert late.isoformat() in starts(warm(service, day))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:salons_service_change", args=[service.pk]),
            {
                "salon": service.salon_id,
                "name": service.name,
                "duration_minutes": 60,
                "buffer_minutes": 0,
                "processing_after_minutes": 0,
                "processing_minutes": 0,
                "price": "30.00",
                "is_active": "on",
            },
        )
    assert response.status_code == 302, response.content
    assert late.isoformat() not in starts(read(service, day))


def test_staff_services_edited_in_admin_show_at_once(
    cache_store, admin_client, service, staff_member, django_capture_on_commit_callbacks
):
    """The admin saves the staff member, then its services: the event goes out
    after both, on commit."""
    day = local_day(service.salon)
    assert warm(service, day)["slots"]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:salons_staffmember_change", args=[staff_member.pk]),
            {
                "salon": staff_member.salon_id,
                "name": staff_member.name,
                "role": "stylist",
                "is_active": "on",
                "services": [],
                "working_hours-TOTAL_FORMS": "0",
                "working_hours-INITIAL_FORMS": "0",
                "days_off-TOTAL_FORMS": "0",
                "days_off-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302, response.content
    assert read(service, day)["slots"] == []


def test_a_change_whose_salon_cannot_be_looked_up_makes_every_entry_stale(
    cache_store, service, staff_member, monkeypatch
):
    """Invalidating names the salon by slug, read from the database after the
    change commits; if that read fails, nothing cached may outlive the change."""
    from django.db import OperationalError

    from slots import cache as slots_cache

    day = local_day(service.salon)
    warm(service, day)

    def unreachable(salon_id):
        raise OperationalError("database went away")

    monkeypatch.setattr(slots_cache, "salon_slug", unreachable)
    slots_cache.availability_invalidate_days(service.salon_id, [day])
    builds = []
    cached_availability(
        slug=service.salon.slug, day=day, service_id=service.pk, staff_member_id=None, build=lambda: builds.append(1)
    )
    assert builds == [1]
