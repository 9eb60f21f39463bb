"""Sentry error reporting, with no personal data in what leaves the process.

Called from settings when ``SENTRY_DSN`` is set (web and Celery processes
both load settings). Two layers keep customers' data home: sentry-sdk's own
``EventScrubber`` drops values under known keys (tokens, cookies, our
customer fields, the booking token header) everywhere in the event, and
``scrub_event`` masks phone numbers, emails and tokens inside any remaining
text (messages, exception values, breadcrumbs, local variables).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.redis import RedisIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, DEFAULT_PII_DENYLIST, EventScrubber

from salonbook.scrub import scrub_text

if TYPE_CHECKING:
    from sentry_sdk.types import Event

# Keys whose values never leave, wherever they appear (compared lower-cased).
PERSONAL_KEYS = [
    "x-booking-token",
    "x_booking_token",
    "http_x_booking_token",
    "manage_token",
    "customer_name",
    "customer_phone",
    "customer_email",
    "phone",
    "email",
    "whatsapp_phone",
    "username",
]


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_scrub(item) for item in value)
    return value


def scrub_event(event: Event, hint: dict[str, Any] | None = None) -> Event:
    """``before_send``: mask personal data in every string of the event."""
    return cast("Event", _scrub(event))


def scrub_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    return _scrub(crumb)


def init_sentry(
    *,
    dsn: str,
    release: str,
    environment: str,
    traces_sample_rate: float = 0.0,
    transport: Any = None,
) -> None:
    options: dict[str, Any] = {}
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(
        dsn=dsn,
        release=release,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration(), RedisIntegration()],
        send_default_pii=False,
        event_scrubber=EventScrubber(
            denylist=DEFAULT_DENYLIST + PERSONAL_KEYS,
            pii_denylist=DEFAULT_PII_DENYLIST,
            recursive=True,
        ),
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        # Local variables and request bodies hold customers' input; the
        # traceback, route and headers are enough to debug.
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        **options,
    )
