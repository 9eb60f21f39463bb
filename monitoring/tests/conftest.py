"""Fixtures for monitoring tests: a metrics store per test, Redis or not."""

from __future__ import annotations

import io
import logging
import os
import shutil
import socket
import subprocess
import time

import pytest
from conftest import _missing
from rest_framework.test import APIClient

from monitoring import metrics
from salons.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fresh_metrics_store(settings):
    """Each test counts from a store built for its settings (and empty when local)."""
    metrics.reset_store()
    yield
    metrics.reset_store()


@pytest.fixture
def redis_metrics(settings, redis_url):
    """Metrics shared through the real Redis of this test run."""
    settings.METRICS_REDIS_URL = redis_url
    metrics.reset_store()
    return redis_url


@pytest.fixture
def admin_api(db) -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def console_output():
    """What the configured console handler writes (its filters and formatter included)."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def _free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


class RedisServer:
    """A throwaway redis-server on a spare port, to stop and start in a test."""

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
        for _ in range(100):
            if not _free(self.port):
                return
            time.sleep(0.02)
        raise RuntimeError(f"redis-server did not start on {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=5)
            self.process = None


@pytest.fixture
def spare_redis():
    if shutil.which("redis-server") is None:
        _missing("redis-server")
    port = next((p for p in range(6386, 6391) if _free(p)), None)
    if port is None:
        _missing("a free spare Redis port (6386-6390)")
    server = RedisServer(port)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def dead_redis_url() -> str:
    """A Redis URL where nothing listens: Redis is down."""
    port = next((p for p in range(6386, 6391) if _free(p)), None)
    if port is None:
        _missing("a free spare Redis port (6386-6390)")
    return f"redis://127.0.0.1:{port}/0"
