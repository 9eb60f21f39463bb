"""Nothing secret reaches a log line: a full run (a booking and its messages,
a waitlist offer and its claim page, a calendar feed fetch, an invitation and
its set-password link, a staff search by phone) is grepped, in every line
that Django's logging, the console WhatsApp provider and gunicorn's access
log (the production recipe's configuration) wrote, for each token,
reference and phone number it made."""

from __future__ import annotations

import datetime as dt
import io
import logging
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from gunicorn.config import Config
from rest_framework.test import APIClient

from bookings.models import Booking
from bookings.tests.factories import next_local
from messaging.providers import reset_provider
from salons.models import StaffMember
from salons.services import calendar_token_for

pytestmark = pytest.mark.django_db

GUNICORN_CONF = Path(django_settings.BASE_DIR) / "salonbook" / "gunicorn.conf.py"


class AccessLog:
    """gunicorn's access logger as the production recipe configures it, writing to a file."""

    def __init__(self, path: Path) -> None:
        conf = runpy.run_path(str(GUNICORN_CONF))
        cfg = Config()
        for name in ("logger_class", "access_log_format"):
            cfg.set(name, conf[name])
        cfg.set("accesslog", str(path))
        self.logger = cfg.logger_class(cfg)

    def record(self, response) -> None:
        environ = dict(response.wsgi_request.META)
        query = environ.get("QUERY_STRING", "")
        environ.setdefault("RAW_URI", environ["PATH_INFO"] + (f"?{query}" if query else ""))
        environ.setdefault("SERVER_PROTOCOL", "HTTP/1.1")
        headers = [(key[5:].replace("_", "-"), value) for key, value in environ.items() if key.startswith("HTTP_")]
        req = SimpleNamespace(headers=headers)
        resp = SimpleNamespace(status=f"{response.status_code} X", headers=list(response.items()), sent=len(response.content))
        self.logger.access(resp, req, environ, dt.timedelta(milliseconds=3))


@pytest.fixture
def logged(settings, tmp_path, capsys, eager_tasks):
    """Every line written: the console handler of ``settings.LOGGING`` (its
    stream swapped for a buffer), standard output (the console provider)
    and gunicorn's access log."""
    settings.DEBUG = False
    settings.WHATSAPP_BACKEND = "console"
    reset_provider()
    console = next(h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler)
    buffer = io.StringIO()
    previous = console.setStream(buffer)
    access = AccessLog(tmp_path / "access.log")
    lines = SimpleNamespace(access=access, text=lambda: "")

    def text() -> str:
        for handler in access.logger.access_log.handlers:
            handler.flush()
        return "\n".join([buffer.getvalue(), capsys.readouterr().out, (tmp_path / "access.log").read_text()])

    lines.text = text
    yield lines
    console.setStream(previous)
    reset_provider()


def test_a_full_run_logs_no_secret_and_no_phone(
    logged, salon, service, staff_member, owner_of_salon, django_capture_on_commit_callbacks
):
    phones = ["+447911123456", "+447911123457", "+447911123458"]
    customer, staff = APIClient(), APIClient()
    staff.force_login(owner_of_salon)

    def call(client, method, path, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):  # messages go out after the commit
            response = getattr(client, method)(path, *args, **kwargs)
        logged.access.record(response)
        assert response.status_code < 500, (path, response.status_code)
        return response

    start = next_local(salon, days=2, at=dt.time(10))
    body = {
        "salon": salon.slug, "service": service.pk, "staff": staff_member.pk, "start": start.isoformat(),
        "customer_name": "Ana Silva", "customer_phone": phones[0],
    }
    booked = call(customer, "post", "/api/bookings/", body, format="json").json()
    ref, token = booked["reference"], booked["manage_token"]
    call(customer, "get", f"/api/bookings/{ref}/", HTTP_X_BOOKING_TOKEN=token)
    call(customer, "get", f"/manage/{ref}/")
    call(customer, "get", f"/manage/{ref}/booking.ics", HTTP_X_BOOKING_TOKEN=token)

    day = start.date().isoformat()
    wait = {
        "service": service.pk, "date_from": day, "date_to": day, "customer_name": "Wai Ting",
        "customer_phone": phones[1],
    }
    entry = call(customer, "post", f"/api/salons/{salon.slug}/waitlist/", wait, format="json").json()
    assert "reference" in entry, entry
    call(customer, "post", f"/api/bookings/{ref}/cancel/", {}, format="json", HTTP_X_BOOKING_TOKEN=token)
    call(customer, "get", f"/waitlist/{entry['reference']}/")
    wait_token = {"HTTP_X_WAITLIST_TOKEN": entry["manage_token"]}
    assert call(customer, "get", f"/api/waitlist/{entry['reference']}/", **wait_token).json()["status"] == "offered"
    claimed = call(customer, "post", f"/api/waitlist/{entry['reference']}/claim/", **wait_token).json()
    assert "reference" in claimed, claimed

    feed = calendar_token_for(staff_member=staff_member)
    call(customer, "get", reverse("calendar-feed", kwargs={"secret": feed}))
    call(customer, "get", reverse("calendar-feed", kwargs={"secret": feed[::-1]}))  # a wrong one: 404, logged

    member = StaffMember.objects.create(salon=salon, name="New Stylist")
    invited = call(
        staff, "post", reverse("staff:backoffice_invite", kwargs={"slug": salon.slug, "pk": member.pk}),
        {"username": "new-stylist", "email": ""},
    )
    link = invited.context["invite_link"]
    path = link.split("testserver", 1)[1]
    call(APIClient(), "get", path)
    for phone in (phones[0], phones[1], phones[2], "07911 123456"):
        call(staff, "get", reverse("staff:customers", kwargs={"slug": salon.slug}), {"q": phone})
    call(staff, "get", reverse("staff:agenda", kwargs={"slug": salon.slug}), {"date": day})
    logging.getLogger("bookings").warning("a line that quotes %s", link)  # a careless line is masked too

    text = logged.text()
    assert "WhatsApp to" in text and "GET /api/bookings/" in text  # the provider and the access log wrote
    token_part = path.rstrip("/").rsplit("/", 1)[1]
    secrets = {
        "manage token": token, "booking reference": ref, "waitlist token": entry["manage_token"],
        "waitlist reference": entry["reference"], "claimed booking token": claimed["manage_token"],
        "claimed booking reference": claimed["reference"], "feed secret": feed, "invite token": token_part,
    }
    for what, secret in secrets.items():
        assert secret not in text, what
    for phone in phones:
        digits = phone.lstrip("+")
        assert digits not in text and digits[2:] not in text, phone
    assert "7911 123456" not in text
    assert Booking.objects.count() == 2
