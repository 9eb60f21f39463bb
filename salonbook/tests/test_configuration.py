"""Settings come from the environment and refuse bad values at start-up."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = secrets.token_urlsafe(64)


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY", "REDIS_CLUSTER", "DATABASE_REPLICA_URL"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DEBUG": "false"}, "SECRET_KEY must be set"),
        ({"DEBUG": "false", "SECRET_KEY": "django-insecure-" + "x" * 60}, "too weak"),
        ({"DEBUG": "false", "SECRET_KEY": "short"}, "too weak"),
        ({"DEBUG": "maybe"}, "DEBUG must be a boolean"),
        ({"DATABASE_URL": "mysql://db/x"}, "DATABASE_URL must start with"),
        ({"REDIS_URL": "http://cache"}, "REDIS_URL must start with"),
        ({"RATE_LIMIT_API": "lots"}, "RATE_LIMIT_API must look like"),
        ({"WHATSAPP_BACKEND": "sms"}, "WHATSAPP_BACKEND must be one of"),
        ({"WHATSAPP_BACKEND": "http"}, "needs WHATSAPP_API_URL"),
        ({"REDIS_URL": "redis://127.0.0.1:7000/0", "REDIS_CLUSTER": "true"}, "REDIS_CLUSTER=true needs CELERY_BROKER_URL"),
        ({"DATABASE_REPLICA_URL": "postgres://replica/x"}, "DATABASE_REPLICA_URL needs DATABASE_URL to be PostgreSQL"),
    ],
)
def test_bad_configuration_stops_start_up_with_a_clear_message(env, message):
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_development_defaults_need_no_configuration():
    result = _manage("check")
    assert result.returncode == 0, result.stderr


def test_production_settings_pass_the_deployment_checks(tmp_path):
    collected = _manage("collectstatic", "--noinput", "-v", "0", DEBUG="false", SECRET_KEY=STRONG_KEY, STATIC_ROOT=str(tmp_path))
    assert collected.returncode == 0, collected.stderr
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="salonbook.example.com",
        REDIS_URL="redis://127.0.0.1:6379/0",
        STATIC_ROOT=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
