"""Server-Timing, X-Request-ID in responses and log lines, slow-request warnings, JSON logs."""

from __future__ import annotations

import copy
import io
import json
import logging
import logging.config
import re

import pytest
from django.conf import settings as django_settings

pytestmark = [pytest.mark.urls("monitoring.tests.urls"), pytest.mark.django_db]

TIMING = re.compile(r'^total;dur=(?P<total>[\d.]+), db;dur=(?P<db>[\d.]+);desc="(?P<queries>\d+) queries"$')


def timing(response) -> dict:
    match = TIMING.match(response["Server-Timing"])
    assert match, response["Server-Timing"]
    return match.groupdict()


def test_server_timing_reports_total_db_time_and_query_count(client):
    parts = timing(client.get("/items/1/"))

    assert parts["queries"] == "2"
    assert 0 < float(parts["db"]) <= float(parts["total"])


def test_server_timing_is_on_every_response(client):
    client.raise_request_exception = False

    for path, status in (("/api/health/live", 200), ("/nowhere/", 404), ("/boom/", 500), ("/api/metrics", 401)):
        response = client.get(path)
        assert response.status_code == status
        assert timing(response)["queries"] == "0" or path == "/api/metrics"


def test_a_well_formed_request_id_is_kept(client):
    response = client.get("/api/health/live", HTTP_X_REQUEST_ID="lb-7f3a9c21-0001")

    assert response["X-Request-ID"] == "lb-7f3a9c21-0001"


@pytest.mark.parametrize("sent", ["", "short", "has space in it", "x" * 200, "abc\r\nInjected: yes", "<script>alert</script>"])
def test_a_malformed_request_id_is_replaced(client, sent):
    response = client.get("/api/health/live", HTTP_X_REQUEST_ID=sent)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_request_id_is_in_every_log_line_of_the_request(client, console_output):
    client.get("/talk/", HTTP_X_REQUEST_ID="trace-12345678")
    client.get("/api/metrics", HTTP_X_REQUEST_ID="trace-87654321")  # Django logs the 401 after the middleware

    lines = [line for line in console_output.getvalue().splitlines() if line]
    assert any("salonbook.tests" in line and "[trace-12345678]" in line for line in lines)
    assert any("Unauthorized" in line and "[trace-87654321]" in line for line in lines)


def test_slow_requests_are_logged_with_route_and_timings(client, settings, console_output):
    settings.SLOW_REQUEST_MS = 150

    client.get("/slow/")
    client.get("/items/5/")

    slow_lines = [line for line in console_output.getvalue().splitlines() if "slow request" in line]
    assert len(slow_lines) == 1
    assert "WARNING salonbook.requests" in slow_lines[0]


def test_structured_json_logs_carry_request_id_and_fields(client, settings):
    config = copy.deepcopy(django_settings.LOGGING)
    config["handlers"]["console"]["formatter"] = "json"
    config["handlers"]["console"]["stream"] = "ext://sys.stdout"
    logging.config.dictConfig(config)
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    handler.setStream(stream)
    settings.LOG_REQUESTS = True
    try:
        settings.SLOW_REQUEST_MS = 60_000
        client.get("/items/9/", HTTP_X_REQUEST_ID="json-req-0001")
        settings.SLOW_REQUEST_MS = 150
        client.get("/slow/", HTTP_X_REQUEST_ID="json-req-0002")
    finally:
        logging.config.dictConfig(django_settings.LOGGING)

    records = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    access = next(r for r in records if r["message"] == "request")
    assert access["request_id"] == "json-req-0001"
    assert access["route"] == "/items/<int:pk>/"
    assert access["status"] == 200 and access["db_queries"] == 2
    assert access["levelname"] == "INFO"
    slow = next(r for r in records if r["message"] == "slow request")
    assert slow["request_id"] == "json-req-0002" and slow["levelname"] == "WARNING"
    assert slow["duration_ms"] >= 150
    assert "/items/9/" not in json.dumps(records)  # routes, never raw paths
