"""No phone number, email or token reaches a log line or a Sentry event."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import sentry_sdk
from sentry_sdk.transport import Transport

from bookings import signals as booking_signals
from bookings.services import Actor, booking_cancel
from bookings.tests.factories import make_booking, next_local
from monitoring.sentry import init_sentry

ROOT = Path(__file__).resolve().parents[2]
PHONE = "+447911123456"
PHONE_DIGITS = "7911123456"
EMAIL = "ana.silva@example.com"
TOKEN = "s3cretManageT0kenValue42"


class CapturingTransport(Transport):
    """A Sentry transport that keeps envelopes here instead of sending them."""

    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)

    def payloads(self) -> list[dict]:
        return [item.payload.json for envelope in self.envelopes for item in envelope.items if item.payload.json]


@pytest.fixture
def sentry_events():
    transport = CapturingTransport()
    init_sentry(dsn="https://public@sentry.example.invalid/1", release="test", environment="test", transport=transport)
    yield transport
    sentry_sdk.flush()
    sentry_sdk.init(dsn=None)


def assert_no_personal_data(text: str) -> None:
    assert PHONE_DIGITS not in text
    assert EMAIL not in text and "ana.silva" not in text
    assert TOKEN not in text


@pytest.mark.django_db(transaction=True)
def test_booking_lifecycle_logs_no_phone_or_email(console_output, service, staff_member, settings):
    settings.LOG_REQUESTS = True
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)

    def careless(booking, **kwargs):
        raise ValueError(f"could not remind {booking.customer_phone} / {booking.customer_email}")

    booking_signals.booking_created.connect(careless, weak=False, dispatch_uid="careless")
    try:
        booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))
        booking.customer_email = EMAIL
        logging.getLogger("salonbook.tests").info("booking for %s, %s", booking.customer_phone, EMAIL)
        logging.getLogger("salonbook.tests").error("lookup failed", extra={"who": f"{PHONE} {EMAIL}"})
        booking_cancel(booking=booking, actor=Actor.customer())
    finally:
        booking_signals.booking_created.disconnect(dispatch_uid="careless")
        root.setLevel(level)

    output = console_output.getvalue()
    assert "event receiver failed" in output and "ValueError" in output  # the failure itself is logged
    assert "[Filtered]" in output
    assert_no_personal_data(output)


@pytest.mark.urls("monitoring.tests.urls")
def test_sentry_event_from_a_request_has_no_personal_data(sentry_events, live_server):
    """Through a real WSGI server, where Sentry's Django integration reads the request."""
    logging.getLogger("salonbook.tests").warning("a breadcrumb about %s", PHONE)

    response = requests.get(
        f"{live_server.url}/boom/",
        params={"email": EMAIL, "phone": PHONE},
        headers={"X-Booking-Token": TOKEN, "Authorization": f"Token {TOKEN}", "Cookie": f"sessionid={TOKEN}"},
        timeout=10,
    )
    sentry_sdk.flush()

    assert response.status_code == 500
    events = [payload for payload in sentry_events.payloads() if payload.get("exception")]
    assert len(events) == 1
    text = json.dumps(sentry_events.payloads())
    assert "ValueError" in text and "cannot remind" in text  # the error itself is reported
    assert_no_personal_data(text)
    headers = events[0]["request"]["headers"]
    assert headers.get("X-Booking-Token") in (None, "[Filtered]")
    assert "/boom/" in events[0]["request"]["url"]


def test_sentry_message_with_personal_data_is_masked(sentry_events):
    sentry_sdk.capture_message(f"customer {PHONE} ({EMAIL}) could not be reached, token={TOKEN}")
    sentry_sdk.flush()

    text = json.dumps(sentry_events.payloads())
    assert "could not be reached" in text
    assert_no_personal_data(text)


def test_a_calendar_feeds_secret_is_masked(sentry_events):
    sentry_sdk.capture_message(f"slow feed https://book.example.com/calendar/{TOKEN}.ics took 3 s")
    sentry_sdk.flush()

    text = json.dumps(sentry_events.payloads())
    assert "/calendar/[Filtered].ics took 3 s" in text
    assert_no_personal_data(text)


_SENTRY_OPTIONS = """
import json, django
django.setup()
import sentry_sdk
client = sentry_sdk.get_client()
print(json.dumps({"active": client.is_active(), "pii": client.options.get("send_default_pii"),
                  "integrations": sorted(getattr(client, "integrations", {}))}))
"""


@pytest.mark.parametrize("dsn", ["", "https://public@sentry.example.invalid/1"], ids=["no-dsn", "dsn"])
def test_settings_start_sentry_only_with_a_dsn_and_without_pii(dsn):
    env = {key: value for key, value in os.environ.items() if key != "SENTRY_DSN"}
    env.update(DJANGO_SETTINGS_MODULE="salonbook.settings", PYTHONPATH=str(ROOT), SENTRY_DSN=dsn)
    result = subprocess.run([sys.executable, "-c", _SENTRY_OPTIONS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout.strip().splitlines()[-1])

    if not dsn:
        assert state["active"] is False
    else:
        assert state["active"] is True
        assert state["pii"] is False
        assert {"django", "celery", "redis"} <= set(state["integrations"])
