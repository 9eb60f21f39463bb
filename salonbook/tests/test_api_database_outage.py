"""With the database unreachable the API answers 503 in the envelope, after
one bounded connection attempt, with no trace: what a phone sees while
PostgreSQL restarts. The staff pages and admin answer 503 too, never 500."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import json
import django
django.setup()
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test import Client

connects = []
original = DatabaseWrapper.get_new_connection

def counting(self, params):
    connects.append(params.get("connect_timeout"))
    return original(self, params)

DatabaseWrapper.get_new_connection = counting
client = Client()
answers = {}
for name, method, path, body in [
    ("salons", "get", "/api/salons/", None),
    ("booking", "post", "/api/bookings/", {"salon": "demo", "service": 1, "staff": 1,
        "start": "2030-01-01T10:00:00+00:00", "customer_name": "Ana", "customer_phone": "+447911123456"}),
]:
    connects.clear()
    if body is None:
        response = client.get(path)
    else:
        response = client.post(path, json.dumps(body), content_type="application/json")
    answers[name] = {"status": response.status_code, "body": response.content.decode(),
                     "retry_after": response.get("Retry-After"), "connects": list(connects)}
print(json.dumps(answers))
"""


# Pages as in production (DEBUG off: Django's error handler answers, not its
# debug page), each request one that reads the database.
_PAGES_PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client

settings.DEBUG = False
client = Client(raise_request_exception=False)
client.cookies["sessionid"] = "a-session-the-database-would-know"
answers = {}
for name, method, path, body in [
    ("staff login", "post", "/staff/login/", {"username": "owner", "password": "secret"}),
    ("agenda", "get", "/staff/salons/demo/", None),
    ("admin login", "post", "/admin/login/", {"username": "admin", "password": "secret"}),
]:
    response = getattr(client, method)(path, body) if body else client.get(path)
    answers[name] = {"status": response.status_code, "body": response.content.decode(),
                     "retry_after": response.get("Retry-After")}
print(json.dumps(answers))
"""


def _with_the_database_down(probe: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="salonbook.settings",
        DATABASE_URL="postgres://root@127.0.0.1:6388/salonbook",  # nothing listens there
        DB_CONNECT_TIMEOUT="1",
        LOG_LEVEL="ERROR",
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_staff_pages_and_admin_answer_503_while_the_database_is_down():
    for name, answer in _with_the_database_down(_PAGES_PROBE).items():
        assert answer["status"] == 503, (name, answer["status"])
        assert "briefly unavailable" in answer["body"] and "Nothing was changed" in answer["body"], name
        assert answer["retry_after"] == "5", name
        assert "Traceback" not in answer["body"] and "6388" not in answer["body"], name


def test_api_answers_503_in_the_envelope_while_the_database_is_down():
    answers = _with_the_database_down(_PROBE)
    for name, answer in answers.items():
        assert answer["status"] == 503, name
        body = json.loads(answer["body"])
        assert body["error"]["code"] == "service_unavailable"
        assert answer["retry_after"] == "5"
        assert "Traceback" not in answer["body"] and "6388" not in answer["body"]
        # One attempt, bounded by the connect timeout: no retry loop keeps the phone waiting.
        assert answer["connects"] == [1], answer["connects"]
