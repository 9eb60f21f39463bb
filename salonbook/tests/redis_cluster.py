"""A real Redis Cluster for the tests: three masters of Debian's redis-server
on ports the OS picks, slots assigned by ``redis-cli --cluster create``,
started once per test session and stopped after it."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.cluster import RedisCluster

from conftest import _missing, free_port


class LocalRedisCluster:
    def __init__(self, masters: int = 3) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="redis-cluster-"))
        self.ports = [free_port() for _ in range(masters)]
        self.processes: list[subprocess.Popen] = []

    @property
    def url(self) -> str:
        """Any node names the cluster; the client learns the rest from it."""
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def start(self) -> None:
        for port in self.ports:
            self.processes.append(
                subprocess.Popen(
                    [
                        "redis-server",
                        "--port",
                        str(port),
                        "--bind",
                        "127.0.0.1",
                        "--cluster-enabled",
                        "yes",
                        # The bus port too is the OS's pick, not port + 10000.
                        "--cluster-port",
                        str(free_port()),
                        "--cluster-config-file",
                        str(self.directory / f"nodes-{port}.conf"),
                        "--cluster-node-timeout",
                        "2000",
                        "--dir",
                        str(self.directory),
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for port in self.ports:
            self._wait(lambda port=port: redis.Redis(port=port, socket_connect_timeout=0.2).ping())
        subprocess.run(
            ["redis-cli", "--cluster", "create", *(f"127.0.0.1:{port}" for port in self.ports), "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=30,
        )
        for port in self.ports:
            self._wait(lambda port=port: redis.Redis(port=port).cluster("info")["cluster_state"] == "ok")

    def _wait(self, ready) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if ready():
                    return
            except redis.RedisError:
                pass
            time.sleep(0.05)
        self.stop()
        pytest.fail("the local Redis Cluster did not come up")

    def node_of(self, key: str) -> int:
        """The port of the master that owns ``key``."""
        client = RedisCluster.from_url(self.url)
        try:
            return client.get_node_from_key(key).port
        finally:
            client.close()

    def flush(self) -> None:
        for port in self.ports:
            redis.Redis(port=port).flushall()

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=10)
        self.processes = []
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_cluster_servers() -> Iterator[LocalRedisCluster]:
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        _missing("redis-server and redis-cli (to start a local Redis Cluster)")
    cluster = LocalRedisCluster()
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def redis_cluster(settings, redis_cluster_servers) -> Iterator[LocalRedisCluster]:
    """Caches, rate limits, metrics and the breaker on the local cluster, as
    production runs them with ``REDIS_CLUSTER=true``; emptied first."""
    from bookings.messages.breaker import reset_breaker
    from monitoring.metrics import store
    from salonbook.settings import redis_caches

    redis_cluster_servers.flush()
    url = redis_cluster_servers.url
    settings.REDIS_CLUSTER = True
    settings.CACHES = redis_caches(url, cluster=True)
    settings.METRICS_REDIS_URL = url
    settings.WHATSAPP_BREAKER_REDIS_URL = url
    settings.METRICS_FLUSH_SECONDS = 60  # no background flush during the test
    store.reset_store()
    reset_breaker()
    yield redis_cluster_servers
    store.reset_store()
    reset_breaker()
