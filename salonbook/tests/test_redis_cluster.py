"""Everything that uses Redis, on a real 3-master Redis Cluster
(``REDIS_CLUSTER=true``): one salon's cache keys share a hash slot, so a
cached read is still one round trip and no SQL; rate limits, invalidation,
metrics and the breaker work across the cluster's nodes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import caches
from django.utils import timezone
from redis.connection import Connection
from redis.crc import key_slot
from rest_framework.test import APIClient

from bookings.messages.breaker import WhatsAppBreaker
from monitoring.metrics.recording import batched, record_request
from monitoring.metrics.store import get_store
from salons.cache import business_info_entry
from slots.cache import availability_entry, calendar_entry
from slots.models import Slot
from slots.services import slot_block

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


def _availability_url(service) -> str:
    day = timezone.localdate(timezone=service.salon.tz) + dt.timedelta(days=1)
    return f"/api/salons/{service.salon.slug}/availability/?date={day.isoformat()}&service={service.pk}"


@pytest.fixture
def wire(monkeypatch) -> list[tuple[str, int, bytes]]:
    """Every write and every reply read, in order, with the node's port."""
    events: list[tuple[str, int, bytes]] = []
    send, read = Connection.send_packed_command, Connection.read_response

    def sending(self, command, check_health=True):
        events.append(("send", self.port, command if isinstance(command, bytes) else b"".join(command)))
        return send(self, command, check_health)

    def reading(self, *args, **kwargs):
        events.append(("read", self.port, b""))
        return read(self, *args, **kwargs)

    monkeypatch.setattr(Connection, "send_packed_command", sending)
    monkeypatch.setattr(Connection, "read_response", reading)
    return events


def _commands(packet: bytes) -> list[list[bytes]]:
    """The commands in a packet of the Redis protocol, each as its arguments."""
    commands, lines, at = [], packet.split(b"\r\n"), 0
    while at < len(lines) and lines[at].startswith(b"*"):
        count, at = int(lines[at][1:]), at + 1
        commands.append(lines[at + 1 : at + 2 * count : 2])
        at += 2 * count
    return commands


def test_every_key_of_one_salons_read_shares_one_hash_slot():
    day = dt.date(2026, 3, 2)
    keys = [
        business_info_entry(slug="chez-anna")[0],
        business_info_entry(slug="chez-anna", part="rendered")[0],
        *(name for name in [availability_entry(slug="chez-anna", day=day, service_id=3, staff_member_id=None)[0]]),
        *availability_entry(slug="chez-anna", day=day, service_id=3, staff_member_id=7)[1],
        *calendar_entry(slug="chez-anna", month=day.replace(day=1), days=31, service_id=3, staff_member_id=None)[1],
    ]
    other = availability_entry(slug="chez-bob", day=day, service_id=3, staff_member_id=None)[0]

    assert len({key_slot(f"sb:1:{key}".encode()) for key in keys}) == 1
    assert key_slot(f"sb:1:{other}".encode()) != key_slot(f"sb:1:{keys[0]}".encode())


def test_a_cached_read_on_a_cluster_is_one_round_trip_and_no_sql(
    redis_cluster, service, staff_member, wire, django_assert_num_queries
):
    client = APIClient()
    url = _availability_url(service)
    expected = client.get(url).json()  # builds the entries, learns the slot map, loads the script
    assert client.get(url).json() == expected
    wire.clear()

    with django_assert_num_queries(0):
        response = client.get(url)

    assert response.json() == expected and expected["slots"]
    kinds = [event[0] for event in wire]
    # Every node is written to before any reply is read: one round trip.
    assert kinds == ["send"] * kinds.count("send") + ["read"] * kinds.count("read")
    sends = [(port, packet) for kind, port, packet in wire if kind == "send"]
    assert len({port for port, _ in sends}) == len(sends) <= 3  # one packet per node
    commands = [command for _, packet in sends for command in _commands(packet)]
    salon_reads = [command for command in commands if any(b"{s:" in arg for arg in command)]
    assert [command[0] for command in salon_reads] == [b"MGET"]  # the salon's keys: one command
    assert sorted(command[0] for command in commands) == [b"EVAL", b"MGET", b"MGET"]


def test_a_change_makes_the_cached_read_fresh_on_a_cluster(
    redis_cluster, service, staff_member, django_capture_on_commit_callbacks
):
    client = APIClient()
    url = _availability_url(service)
    before = client.get(url).json()["slots"]
    first = Slot.objects.get(staff_member=staff_member, start=dt.datetime.fromisoformat(before[0]["start"]))

    with django_capture_on_commit_callbacks(execute=True):
        slot_block(slot=first)

    after = client.get(url).json()["slots"]
    assert before[0]["start"] not in [free["start"] for free in after]


def test_rate_limits_count_on_a_cluster(redis_cluster, service, staff_member, settings):
    settings.RATE_LIMIT_API = "2/m"
    client = APIClient()
    url = _availability_url(service)

    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]


def test_a_booking_counts_both_scopes_in_one_script_on_a_cluster(redis_cluster, service, staff_member, settings):
    """The api and bookings counters of one client share its hash slot: the
    script that counts both is refused by a cluster otherwise."""
    settings.RATE_LIMIT_BOOKINGS = "1/m"
    starts = APIClient().get(_availability_url(service)).json()["slots"]
    body = {
        "salon": service.salon.slug,
        "service": service.pk,
        "staff": staff_member.pk,
        "customer_name": "Ana",
        "customer_phone": "+447911123456",
    }
    client = APIClient()

    first = client.post("/api/bookings/", {**body, "start": starts[0]["start"]}, format="json")
    second = client.post("/api/bookings/", {**body, "start": starts[1]["start"]}, format="json")

    assert (first.status_code, second.status_code) == (201, 429)


def test_metrics_are_shared_through_the_cluster(redis_cluster):
    store = get_store()
    with batched():
        record_request(method="GET", route="/api/salons/", status=200, seconds=0.01)
    store.flush()

    counters, _, _, source = store.read()
    assert source == "redis"
    assert any(name.startswith("req") and value == 1 for name, value in counters.items())


def test_the_breaker_state_is_shared_through_the_cluster(redis_cluster):
    def failing() -> None:
        raise ConnectionError("provider down")

    worker_1 = WhatsAppBreaker(redis_url=redis_cluster.url, fail_max=2, reset_timeout=60)
    worker_2 = WhatsAppBreaker(redis_url=redis_cluster.url, fail_max=2, reset_timeout=60)
    for _ in range(2):
        try:
            worker_1.call(failing)
        except Exception:
            pass

    assert worker_2.state == "open"


def test_the_content_cache_clears_every_node(redis_cluster):
    for slug in ("a", "b", "c", "d", "e", "f"):
        caches["default"].set(f"bi:{{s:{slug}}}:info", slug, 60)
    assert caches["default"].get_many(["bi:{s:a}:info", "bi:{s:f}:info"]) == {
        "bi:{s:a}:info": "a",
        "bi:{s:f}:info": "f",
    }

    caches["default"].clear()

    assert caches["default"].get_many(["bi:{s:a}:info", "bi:{s:f}:info"]) == {}
