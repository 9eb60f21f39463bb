"""No input answers 5xx: every staff form and every API input, fed extreme
days, times, numbers and strings (NUL, controls, bidi marks, lone surrogates
where the transport allows them).

The staff forms are not listed by hand: every page below is fetched as the
salon's owner and each ``<form method="post">`` on it is posted with hostile
values for its own fields, so a form added to a page is covered too.
"""

from __future__ import annotations

import datetime as dt
import json
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from bookings.tests.factories import make_booking, next_local
from salons.models import StaffMember
from salons.tests.factories import UserFactory
from waitlist.services import waitlist_join

pytestmark = pytest.mark.django_db(transaction=False)

EXTREME_DAYS = ["0001-01-01", "9999-12-31", "1970-01-01", "10000-01-01", "2030-02-30", "0000-00-00", "2030-13-01"]
EXTREME_TIMES = ["00:00", "23:59", "24:00", "25:61", "-1:00", "12:60", "23:59:59.999999"]
EXTREME_INSTANTS = [
    "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00-14:00",
    "9999-12-31T23:59:59",
    "2030-01-01T10:00:00+99:00",
    "2030-01-01T10:00:00Z",
]
HOSTILE_TEXT = ["\x00", "a\x00b", "\u202eevil", "line\nbreak", "=1+1", "x" * 5000, "١٢٣", "²", "-0", "1e309", ""]

# Extremes twice: drawn two times in three, the rest anywhere in Python's range.
days = st.one_of(st.sampled_from(EXTREME_DAYS), st.sampled_from(EXTREME_DAYS), st.dates().map(dt.date.isoformat))
times = st.one_of(st.sampled_from(EXTREME_TIMES), st.times().map(dt.time.isoformat))
instants = st.one_of(
    st.sampled_from(EXTREME_INSTANTS),
    st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=14))])).map(dt.datetime.isoformat),
)
numbers = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.sampled_from([0, -1, 2**63])).map(str)
texts = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
)
picks = st.tuples(st.one_of(numbers, st.just("any")), instants).map("|".join)
form_value = st.one_of(days, times, instants, numbers, texts, picks)


def value_for(name: str, offered: list[str]) -> st.SearchStrategy[str]:
    """Hostile values shaped for the field ``name`` (a day where a day goes),
    or what the page offers, so the rest of the form is often valid and the
    hostile value gets past the first check."""
    if "date" in name or name in ("day", "month"):
        shaped = days
    elif name.endswith("time") or name.startswith("break") or name in ("earliest", "latest"):
        shaped = times
    elif name == "start":
        shaped = st.one_of(picks, instants)
    else:
        shaped = form_value
    return st.one_of(st.sampled_from(offered), shaped) if offered else shaped


def plausible(name: str, offered: list[str]) -> str:
    """A value the field would accept, so that one hostile field is what is tested."""
    if offered:
        return offered[0]
    if name.endswith("time") or name == "earliest" or name == "break_start":
        return "12:00" if name.startswith("break") else "10:00"
    if name.startswith("end") or name == "latest" or name == "break_end":
        return "12:30" if name.startswith("break") else "17:00"
    return {"customer_phone": "+447911123456", "customer_name": "Ana Silva", "name": "Someone"}.get(name, "1")


class _Forms(HTMLParser):
    """The POST forms of a page: their action and their fields' names and option values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, list[str]]]] = []
        self._fields: dict[str, list[str]] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "form" and (attr.get("method") or "").lower() == "post":
            self._fields = {}
            self.forms.append((attr.get("action") or "", self._fields))
        elif self._fields is not None and tag in ("input", "select", "textarea", "button") and attr.get("name"):
            name = attr["name"] or ""
            if name == "csrfmiddlewaretoken":
                return
            values = self._fields.setdefault(name, [])
            if attr.get("value"):
                values.append(attr["value"] or "")
            elif attr.get("type") == "checkbox":
                values.append("on")
            if tag == "select":
                self._select = name
        elif tag == "option" and self._fields is not None and self._select and attr.get("value"):
            self._fields[self._select].append(attr["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._fields = None
        elif tag == "select":
            self._select = None


@pytest.fixture
def world(salon, service, staff_member):
    """A salon with its owner, a booking, a waiting entry and a customer:
    every staff page has something to show."""
    owner = UserFactory(username="owner-hostile")
    StaffMember.objects.create(salon=salon, user=owner, role=StaffMember.Role.OWNER, name="Olga Owner")
    booking = make_booking(service=service, staff_member=staff_member, start=next_local(salon, at=dt.time(11)))
    today = next_local(salon).date()
    entry = waitlist_join(
        salon=salon,
        service=service,
        staff_member=None,
        date_from=today,
        date_to=today + dt.timedelta(days=3),
        earliest=None,
        latest=None,
        customer_name="Wait Ing",
        customer_phone="+447911000111",
    )
    return {"salon": salon, "owner": owner, "booking": booking, "entry": entry, "member": staff_member}


def staff_pages(world) -> list[str]:
    slug, member = world["salon"].slug, world["member"]
    reference = world["booking"].reference
    names = [
        ("staff:agenda", {"slug": slug}),
        ("staff:desk_booking", {"slug": slug}),
        ("staff:block_time", {"slug": slug}),
        ("staff:customers", {"slug": slug}),
        ("staff:reports", {"slug": slug}),
        ("staff:calendar_links", {"slug": slug}),
        ("staff:booking", {"reference": reference}),
        ("staff:backoffice_settings", {"slug": slug}),
        ("staff:backoffice_services", {"slug": slug}),
        ("staff:backoffice_staff", {"slug": slug}),
        ("staff:backoffice_staff_edit", {"slug": slug, "pk": member.pk}),
        ("staff:backoffice_hours", {"slug": slug, "pk": member.pk}),
        ("staff:backoffice_closures", {"slug": slug}),
    ]
    return [reverse(name, kwargs=kwargs) for name, kwargs in names]


def harvest_forms(client, pages: list[str]) -> list[tuple[str, dict[str, list[str]]]]:
    forms: dict[str, dict[str, list[str]]] = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        parser = _Forms()
        parser.feed(response.content.decode())
        for action, fields in parser.forms:
            target = urlsplit(action).path or page
            if target.endswith("/logout/") or target.endswith("/logout-everywhere/"):
                continue
            merged = forms.setdefault(target, {})
            for name, values in fields.items():
                merged.setdefault(name, []).extend(values)
    return sorted(forms.items())


def test_every_staff_form_survives_hostile_values(client, world):
    client.force_login(world["owner"])
    forms = harvest_forms(client, staff_pages(world))
    assert len(forms) >= 12, [action for action, _ in forms]

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
    @given(data=st.data())
    def post_each_form(data):
        for action, fields in forms:
            body = {name: data.draw(value_for(name, values)) for name, values in fields.items()}
            response = client.post(action, body)
            assert response.status_code < 500, (action, body, response.status_code)

    post_each_form()


def test_every_staff_form_takes_extreme_days(client, world):
    """Each day-like field of each form, with the rest of the form plausible."""
    client.force_login(world["owner"])
    tried = 0
    for action, fields in harvest_forms(client, staff_pages(world)):
        base = {name: plausible(name, values) for name, values in fields.items()}
        for name in [name for name in fields if "date" in name]:
            for day in EXTREME_DAYS:
                for whole_day in ("", "on"):
                    response = client.post(action, {**base, name: day, "whole_day": whole_day})
                    assert response.status_code < 500, (action, name, day, response.status_code)
                    tried += 1
    assert tried >= 5 * len(EXTREME_DAYS)


QUERY_NAMES = ["date", "staff", "service", "start", "q", "date_from", "date_to", "format", "month"]


def test_every_staff_page_query_takes_each_hostile_text(client, world):
    """Each query name of each page with each hostile text, so a digit ``int``
    refuses ("²", "١٢٣") is tried on every run, not only when drawn."""
    client.force_login(world["owner"])
    for page in staff_pages(world):
        for name in QUERY_NAMES:
            for text in HOSTILE_TEXT:
                response = client.get(page, {name: text})
                assert response.status_code < 500, (page, name, text, response.status_code)


def test_every_staff_page_query_survives_hostile_values(client, world):
    client.force_login(world["owner"])
    pages = staff_pages(world)

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(
        query=st.dictionaries(
            st.sampled_from(QUERY_NAMES),
            form_value,
        )
    )
    def get_each_page(query):
        for page in pages:
            response = client.get(page, query)
            assert response.status_code < 500, (page, query, response.status_code)

    get_each_page()


# --- The API ------------------------------------------------------------------------------

json_text = st.one_of(
    st.sampled_from([*HOSTILE_TEXT, "\ud800", "a\udfffb"]), st.text(max_size=100)
)  # lone surrogates: JSON can carry them escaped
json_value = st.one_of(
    days.map(str),
    times,
    instants,
    json_text,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.lists(st.integers(), max_size=3),
)


def json_value_for(name: str) -> st.SearchStrategy:
    if "date" in name or name == "month":
        return st.one_of(days, days, days.map(lambda day: day[:7]), json_value)
    if name in ("earliest", "latest"):
        return st.one_of(times, json_value)
    if name == "start":
        return st.one_of(instants, json_value)
    return json_value


def api_inputs(world) -> list[tuple[str, str, list[str]]]:
    slug, reference = world["salon"].slug, world["booking"].reference
    entry = world["entry"].reference
    return [
        ("get", f"/api/salons/{slug}/availability/", ["date", "service", "staff"]),
        ("get", f"/api/salons/{slug}/calendar/", ["month", "service", "staff"]),
        ("get", f"/api/salons/{slug}/bookings/", ["date", "staff"]),
        (
            "post",
            "/api/bookings/",
            ["salon", "service", "staff", "start", "customer_name", "customer_phone", "customer_email", "repeat"],
        ),
        ("post", f"/api/bookings/{reference}/reschedule/", ["start", "staff"]),
        ("post", f"/api/bookings/{reference}/cancel/", ["reason"]),
        (
            "post",
            f"/api/salons/{slug}/waitlist/",
            ["service", "staff", "date_from", "date_to", "earliest", "latest", "customer_name", "customer_phone"],
        ),
        ("post", f"/api/waitlist/{entry}/claim/", []),
        ("post", "/api/auth/token/", ["username", "password"]),
    ]


def test_every_api_day_takes_extreme_days(world, settings):
    settings.RATELIMIT_ENABLE = False
    client = APIClient()
    client.force_authenticate(world["owner"])
    service = world["booking"].service_id
    slug = world["salon"].slug
    for day in EXTREME_DAYS:
        for path, query in [
            (f"/api/salons/{slug}/availability/", {"date": day, "service": service}),
            (f"/api/salons/{slug}/calendar/", {"month": day[:7], "service": service}),
            (f"/api/salons/{slug}/bookings/", {"date": day}),
        ]:
            response = client.get(path, query)
            assert response.status_code < 500, (path, query, response.status_code)
        body = {
            "service": service,
            "date_from": day,
            "date_to": day,
            "customer_name": "A",
            "customer_phone": "+447911123456",
        }
        response = client.post(f"/api/salons/{slug}/waitlist/", body, format="json")
        assert response.status_code < 500, (day, response.status_code)


def test_every_api_input_survives_hostile_values(world, settings):
    settings.RATELIMIT_ENABLE = False
    client = APIClient()
    client.force_authenticate(world["owner"])
    inputs = api_inputs(world)

    @settings_(max_examples=30)
    @given(data=st.data())
    def call_each(data):
        for method, path, fields in inputs:
            values = {name: data.draw(json_value_for(name)) for name in fields}
            if method == "get":
                query = {name: str(value) for name, value in values.items() if value is not None}
                query = {name: value.encode("utf-8", "replace").decode() for name, value in query.items()}
                response = client.get(path, query)
            else:
                response = client.post(path, json.dumps(values), content_type="application/json")
            assert response.status_code < 500, (method, path, values, response.status_code)

    call_each()


def settings_(max_examples: int):
    return settings(max_examples=max_examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@pytest.mark.parametrize("user", ["anonymous", "owner"])
def test_options_on_every_page_answers_without_error(client, world, user):
    if user == "owner":
        client.force_login(world["owner"])
    paths = [
        *staff_pages(world),
        "/api/docs/",
        "/api/schema/",
        "/api/salons/",
        f"/manage/{world['booking'].reference}/",
        f"/waitlist/{world['entry'].reference}/",
        "/staff/login/",
        "/staff/",
        "/api/health/live",
    ]
    for path in paths:
        response = client.options(path)
        assert response.status_code < 500, (path, response.status_code)
