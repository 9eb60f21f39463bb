"""/api/health tells the truth in each state; /api/health/live touches nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitoring.health import health

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_all_up_is_200_healthy_with_each_check_and_the_version(client, on_redis, settings):
    response = client.get("/api/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["version"] == settings.VERSION
    checks = body["checks"]
    assert {name: checks[name]["status"] for name in ("database", "cache", "celery_broker")} == {
        "database": "up",
        "cache": "up",
        "celery_broker": "up",
    }
    assert checks["database"]["critical"] is True
    assert checks["cache"]["critical"] is False and checks["celery_broker"]["critical"] is False
    for name in ("database", "cache", "celery_broker"):
        assert 0 <= checks[name]["latency_ms"] < 1000
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_embedded_defaults_are_degraded_without_redis_or_broker(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rl"},
    }
    settings.CELERY_BROKER_URL = None
    settings.METRICS_REDIS_URL = None

    response = client.get("/api/health")
    body = response.json()

    # Everything works, but nothing is shared between processes.
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["cache"]["status"] == "not_configured"
    assert body["checks"]["celery_broker"]["status"] == "disabled"
    assert body["checks"]["metrics_store"] == {"critical": False, "status": "disabled", "store": "local"}


@pytest.mark.django_db
def test_redis_and_broker_down_is_200_degraded_and_fast(client, redis_down):
    client.get("/api/health/live")  # a request whose metrics cannot reach Redis

    response = client.get("/api/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    checks = body["checks"]
    assert checks["database"]["status"] == "up"
    assert checks["cache"] == {**checks["cache"], "status": "down", "error": "Unavailable"}
    assert checks["celery_broker"]["status"] == "down"
    assert checks["metrics_store"]["status"] == "down"
    assert checks["metrics_store"]["store"] == "local"
    # Probes run at once with short timeouts: an outage answers in about a second, not 5+.
    assert all(entry.get("latency_ms", 0) < 2500 for entry in checks.values())


@pytest.mark.django_db
def test_health_says_nothing_about_hosts_or_drivers(client, redis_down):
    text = client.get("/api/health").content.decode()

    assert "127.0.0.1" not in text
    assert "6379" not in text and redis_down.rsplit(":", 1)[1].split("/")[0] not in text
    assert "Error" not in text  # exception class names stay in the logs


@pytest.mark.django_db
def test_health_is_never_rate_limited(client, settings):
    settings.RATE_LIMIT_API = "2/m"

    statuses = {client.get("/api/health").status_code for _ in range(6)}

    assert statuses == {200}


def test_liveness_answers_without_any_dependency(client, settings, dead_redis_url):
    # No database access allowed (no django_db mark) and Redis is down.
    settings.METRICS_REDIS_URL = dead_redis_url

    response = client.get("/api/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_health_function_is_what_the_endpoint_serves(db, client):
    served = client.get("/api/health").json()
    direct = health()

    assert direct.keys() == served.keys()
    assert direct["checks"].keys() == served["checks"].keys()
    assert direct["status"] == served["status"]


_PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client()
health = client.get("/api/health")
live = client.get("/api/health/live")
print(json.dumps({"status": health.status_code, "body": health.json(), "live": live.status_code}))
"""


def test_database_unreachable_is_503_unhealthy_while_liveness_stays_200():
    """A real process whose database is a dead port: what a load balancer would see."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SENTRY_DSN"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="salonbook.settings",
        DATABASE_URL="postgres://root@127.0.0.1:6389/salonbook",
        DB_CONNECT_TIMEOUT="1",
        LOG_LEVEL="ERROR",
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])

    assert outcome["status"] == 503
    assert outcome["body"]["status"] == "unhealthy"
    assert outcome["body"]["checks"]["database"]["status"] == "down"
    assert outcome["body"]["checks"]["cache"]["status"] == "not_configured"
    assert outcome["live"] == 200
    assert "6389" not in json.dumps(outcome["body"])


@pytest.mark.django_db
def test_django_health_check_page_is_for_admins_only(client, admin_client):
    anonymous = client.get("/admin/health/")
    assert anonymous.status_code == 302
    assert "/admin/login/" in anonymous["Location"]

    page = admin_client.get("/admin/health/", HTTP_ACCEPT="application/json")
    assert page.status_code == 200
    names = " ".join(page.json())
    assert "Database" in names and "Cache" in names
    assert "Mail" not in names and "DNS" not in names
