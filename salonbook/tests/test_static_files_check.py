"""A production start without collected static files refuses, with the fix named."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "salonbook.example.com",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def _run(args: list[str], static_root: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DEBUG"}}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, **PRODUCTION, "STATIC_ROOT": str(static_root)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deployment_checks_refuse_missing_static_files(tmp_path):
    result = _run(["manage.py", "check", "--deploy"], tmp_path)
    assert result.returncode != 0
    assert "salonbook.E001" in result.stderr and "collectstatic" in result.stderr


def test_the_web_process_refuses_to_start_without_static_files(tmp_path):
    result = _run(["-c", "import salonbook.wsgi"], tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "collectstatic --noinput" in result.stderr


def test_after_collectstatic_the_checks_pass_and_the_web_process_starts(tmp_path):
    collected = _run(["manage.py", "collectstatic", "--noinput", "-v", "0"], tmp_path)
    assert collected.returncode == 0, collected.stderr
    checked = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    started = _run(["-c", "import salonbook.wsgi"], tmp_path)
    assert started.returncode == 0, started.stderr
