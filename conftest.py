"""Fixtures shared by every app's tests: the people and a ready salon.

Tests that need PostgreSQL or Redis skip without them on a developer's
machine, and fail in CI, where ``REQUIRE_SERVICES=1`` says they must run.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest
import redis
from django.db import connection
from redis.connection import AbstractConnection, Connection
from rest_framework.test import APIClient

from salonbook.settings import redis_caches
from salons.models import StaffMember
from salons.tests.factories import SalonFactory, ServiceFactory, StaffMemberFactory, UserFactory
from slots.services import slots_sync_for_staff

# Fixtures shared by apps that live in modules of their own: Chromium pages,
# the outbox's fake WhatsApp provider over real HTTP with tasks run in the
# test's own process, a Redis Cluster and a PostgreSQL replica.
pytest_plugins = [
    "bookings.tests.browser",
    "messaging.tests.fixtures",
    "salonbook.tests.redis_cluster",
    "salonbook.tests.pg_replica",
]

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _missing(what: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required here (REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"needs {what}")


def pytest_collection_modifyitems(config, items):
    """The suite runs once on SQLite and once on PostgreSQL (`make test`, which
    refuses to leave out the second pass in CI). Tests of PostgreSQL-only
    guards belong to that pass: the SQLite pass deselects them rather than
    skipping them, so a skip always means something is missing."""
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return
    postgres_tests = [item for item in items if "postgres_only" in getattr(item, "fixturenames", ())]
    if postgres_tests:
        config.hook.pytest_deselected(items=postgres_tests)
        items[:] = [item for item in items if item not in postgres_tests]


@pytest.fixture
def postgres_only(db):
    if connection.vendor != "postgresql":
        _missing("PostgreSQL (DATABASE_URL=postgres://...)")


@pytest.fixture
def redis_url() -> str:
    """A real Redis database for this test, emptied before it runs."""
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.flushdb()
    except redis.RedisError:
        _missing(f"Redis at {TEST_REDIS_URL}")
    return TEST_REDIS_URL


def free_port() -> int:
    """A local TCP port nothing listens on (the OS's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SpareRedis:
    """A redis-server of the test's own on a free port: to stop, hang and start again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.02)
        pytest.fail(f"the spare redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)  # a hung server must be able to exit
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def hang(self) -> None:
        """Still accepting connections, never answering: a network partition
        or an overloaded server, with its data kept."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def spare_redis():
    """A Redis of the test's own, started; stopped after the test."""
    if shutil.which("redis-server") is None:
        _missing("redis-server (to start and stop a Redis of the test's own)")
    server = SpareRedis(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def dead_redis_url() -> str:
    """A Redis URL where nothing listens: Redis is down."""
    return f"redis://127.0.0.1:{free_port()}/0"


def _everything_on_redis(settings, url: str) -> None:
    """Point the caches, the metrics store and the broker at the Redis at ``url``."""
    from monitoring.metrics import store

    settings.CACHES = redis_caches(url)
    settings.METRICS_REDIS_URL = url
    settings.CELERY_BROKER_URL = url
    settings.METRICS_FLUSH_SECONDS = 60  # no background flush during the test
    store.reset_store()


@pytest.fixture
def on_redis(settings, redis_url):
    """Caches, metrics and broker on the test Redis, as production runs them."""
    from monitoring.metrics import store

    _everything_on_redis(settings, redis_url)
    yield redis_url
    store.reset_store()


@pytest.fixture
def redis_down(settings, dead_redis_url):
    """Caches, metrics and broker on a port where nothing listens."""
    from monitoring.metrics import store

    _everything_on_redis(settings, dead_redis_url)
    yield dead_redis_url
    store.reset_store()


@pytest.fixture
def redis_content_cache(settings, redis_url):
    """The content cache (the "default" alias) on the test Redis, configured
    as production configures it; the rate-limit counters stay as they are."""
    from django.core.cache import caches

    settings.CACHES = {**settings.CACHES, "default": redis_caches(redis_url)["default"]}
    return caches["default"]


@pytest.fixture
def dead_content_cache(settings, dead_redis_url):
    """The content cache on a port where nothing listens: Redis is down."""
    from django.core.cache import caches

    settings.CACHES = {**settings.CACHES, "default": redis_caches(dead_redis_url)["default"]}
    return caches["default"]


@pytest.fixture
def sent_packets(monkeypatch) -> list[bytes]:
    """Every command (or pipeline: one round trip) written to any Redis from
    here on, as the bytes sent."""
    sent: list[bytes] = []
    original = Connection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(command if isinstance(command, bytes) else b"".join(command))
        return original(self, command, check_health)

    monkeypatch.setattr(Connection, "send_packed_command", counting)
    return sent


class RedisTraffic:
    """Connections attempted and commands (or pipelines) sent, per Redis port."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str]] = []

    def to(self, port: int) -> int:
        """How many connection attempts and sends went to the Redis on ``port``."""
        return sum(1 for called_port, _ in self.calls if called_port == port)


@pytest.fixture
def redis_traffic(monkeypatch) -> RedisTraffic:
    """What is tried on each Redis from here on, refused connections included
    (a refused connection sends no command, so ``sent_packets`` misses it).
    Counted per port: the other Redis clients of a test (rate limits,
    metrics) do not blur the count of the one under test."""
    traffic = RedisTraffic()
    connect, send = AbstractConnection.connect, Connection.send_packed_command

    def counting_connect(self):
        traffic.calls.append((getattr(self, "port", 0), "connect"))
        return connect(self)

    def counting_send(self, command, check_health=True):
        traffic.calls.append((self.port, "send"))
        return send(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "connect", counting_connect)
    monkeypatch.setattr(Connection, "send_packed_command", counting_send)
    return traffic


@pytest.fixture
def salon(db):
    return SalonFactory()


@pytest.fixture
def service(salon):
    return ServiceFactory(salon=salon, name="Cut", duration_minutes=30)


@pytest.fixture
def staff_member(salon, service):
    member = StaffMemberFactory(salon=salon, services=[service])
    slots_sync_for_staff(staff_member=member, days=7)
    return member


@pytest.fixture
def customer_client() -> APIClient:
    return APIClient()


@pytest.fixture
def staff_of_salon(staff_member):
    """A logged-in-able user who works at ``salon``."""
    user = UserFactory(username="staff-here")
    staff_member.user = user
    staff_member.save(update_fields=["user"])
    return user


@pytest.fixture
def staff_of_other_salon(db):
    other = SalonFactory(name="Other Salon")
    user = UserFactory(username="staff-elsewhere")
    StaffMemberFactory(salon=other, user=user, hours=False)
    return user


@pytest.fixture(autouse=True)
def _empty_caches():
    """Every test starts with empty caches (Redis ones included)."""
    from django.conf import settings
    from django.core.cache import caches

    for alias in settings.CACHES:
        try:
            caches[alias].clear()
        except Exception:  # a test that stops Redis cleans up after itself
            pass


@pytest.fixture
def owner_of_salon(salon):
    """A user who owns ``salon`` (the back office's role)."""
    user = UserFactory(username="owner-here")
    StaffMemberFactory(salon=salon, user=user, role=StaffMember.Role.OWNER, name="Olga Owner", hours=False)
    return user


@pytest.fixture
def owner_of_other_salon(db):
    user = UserFactory(username="owner-elsewhere")
    StaffMemberFactory(salon=SalonFactory(name="Rival Salon"), user=user, role=StaffMember.Role.OWNER, hours=False)
    return user
