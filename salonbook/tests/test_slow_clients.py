"""The production recipe keeps answering while slow clients trickle requests:
nginx with deploy/nginx.conf (its own, on a spare port, in its own prefix)
in front of gunicorn with the production config and sync workers."""

from __future__ import annotations

import shutil

import pytest

from benchmarks.harness import OUT, app_env, gunicorn
from benchmarks.slow_clients import PROBE_LIMIT, attack, nginx
from conftest import _missing

pytestmark = pytest.mark.slow


@pytest.fixture
def nginx_binary():
    binary = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    if binary is None:
        _missing("nginx (apt-get install nginx)")
    return binary


def test_health_answers_within_a_second_while_slow_clients_hold_connections(nginx_binary, tmp_path):
    env = app_env(f"sqlite:///{tmp_path / 'app.sqlite3'}", redis_url=None)
    with gunicorn("slow-clients-test", "salonbook.wsgi", env, workers=3) as server:
        with nginx(upstream_port=server.port, prefix=OUT / f"nginx-test-{tmp_path.name}") as port:
            outcome = attack("nginx", port, header_clients=30, body_clients=30, seconds=6)
    assert outcome.connections >= 60
    assert outcome.within_limit == outcome.probes, outcome.line()
    assert outcome.slowest <= PROBE_LIMIT
