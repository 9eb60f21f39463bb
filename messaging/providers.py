"""WhatsApp providers behind one small interface, chosen by ``WHATSAPP_BACKEND``.

``console`` prints messages for development; ``http`` posts them to the
WhatsApp Cloud API (or anything that speaks its shape). A provider either
returns the provider's message id or raises a ``ProviderError`` that says
whether trying again can help. Error texts never carry personal data: they end
up on the message row, in logs and in metrics.
"""

from __future__ import annotations

import sys
import threading
import uuid
from dataclasses import dataclass
from typing import Protocol

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from salonbook.scrub import MASK, scrub_text


@dataclass(frozen=True)
class OutgoingMessage:
    to: str  # E.164
    text: str
    idempotency_key: str
    # An approved WhatsApp template to send instead of the free text, its
    # language code, and the same content as its body parameters
    # (``WHATSAPP_TEMPLATES``, ``WHATSAPP_TEMPLATE_PARAMETERS``).
    template: str | None = None
    language: str = "en_GB"
    parameters: tuple[str, ...] = ()

    def __repr__(self) -> str:  # never the number or the text
        return f"<OutgoingMessage {self.idempotency_key}>"


class ProviderError(Exception):
    """A send that did not go through. ``str()`` is safe to store and log."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, ambiguous: bool = False) -> None:
        super().__init__(message[:300])
        self.retry_after = retry_after
        # The request may have reached the provider (no answer came back):
        # only a provider that honours idempotency keys makes a retry safe.
        self.ambiguous = ambiguous


class TransientError(ProviderError):
    """Network trouble, a timeout, 429 or 5xx: the same message may go through later."""

    retryable = True


class PermanentError(ProviderError):
    """The provider refused this message for good (a bad number, a malformed request)."""

    retryable = False


class Provider(Protocol):
    name: str
    # True when a second send with the same idempotency key is dropped by the provider.
    idempotent: bool

    def send(self, message: OutgoingMessage) -> str:
        """Send ``message`` and return the provider's message id, or raise ProviderError."""
        ...


class ConsoleProvider:
    """Development: writes the message to standard output, like Django's console email backend.

    With ``DEBUG`` off (a production-like run that forgot to configure the
    HTTP provider) its output lands in the logs: the number, the manage and
    claim links' tokens and any other phone number are masked then.
    """

    name = "console"
    idempotent = True  # nothing leaves the machine, so a repeat costs nothing

    def __init__(self, stream=None) -> None:
        self.stream = stream

    def send(self, message: OutgoingMessage) -> str:
        stream = self.stream or sys.stdout
        to, text = message.to, message.text
        if not settings.DEBUG:
            to, text = MASK, scrub_text(text)
        stream.write(f"--- WhatsApp to {to} (key {message.idempotency_key}) ---\n{text}\n---\n")
        stream.flush()
        return f"console-{uuid.uuid4()}"


# 4xx answers that say our side or the provider's side is misconfigured or busy,
# not that this message is bad: they count towards the breaker and are retried.
_RETRYABLE_4XX = {401, 403, 404, 408, 425, 429}


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _error_code(response: requests.Response) -> str:
    """The provider's error code and type, never its message (it may quote the number)."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return ""
    if not isinstance(error, dict):
        return ""
    parts = [str(error.get(key)) for key in ("code", "error_subcode", "type") if error.get(key) is not None]
    return " ".join(parts)[:80]


class HttpProvider:
    """Production: POST to ``WHATSAPP_API_URL`` in the WhatsApp Cloud API's shape.

    With ``WHATSAPP_PHONE_NUMBER_ID`` set the URL is ``<api>/<id>/messages``,
    as Meta's Graph API wants; without it, ``WHATSAPP_API_URL`` is used as is.
    Every message carries its outbox row's ``Idempotency-Key``; whether the
    provider honours it is ``WHATSAPP_IDEMPOTENT``.
    """

    name = "http"

    def __init__(
        self,
        *,
        api_url: str,
        token: str,
        phone_number_id: str | None = None,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        idempotent: bool = False,
    ) -> None:
        base = api_url.rstrip("/")
        self.url = f"{base}/{phone_number_id}/messages" if phone_number_id else base
        self.token = token
        self.timeout = (connect_timeout, read_timeout)
        self.idempotent = idempotent
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        # One session per thread (and per process: built after the worker forks).
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def payload(self, message: OutgoingMessage) -> dict:
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": message.to.lstrip("+")}
        if not message.template:
            # Free text reaches a customer only inside a 24-hour chat window;
            # outside one, the Cloud API wants an approved template.
            return {**payload, "type": "text", "text": {"preview_url": True, "body": message.text}}
        parameters = [{"type": "text", "text": value} for value in message.parameters]
        return {
            **payload,
            "type": "template",
            "template": {
                "name": message.template,
                "language": {"code": message.language},
                "components": [{"type": "body", "parameters": parameters}],
            },
        }

    def send(self, message: OutgoingMessage) -> str:
        payload = self.payload(message)
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": message.idempotency_key}
        try:
            response = self.session.post(self.url, json=payload, headers=headers, timeout=self.timeout)
        except requests.ConnectTimeout:
            raise TransientError("connect timeout") from None
        except requests.ReadTimeout:
            # Sent, but no answer: the provider may have accepted it.
            raise TransientError("read timeout", ambiguous=True) from None
        except requests.ConnectionError as exc:
            if "refused" in str(exc).lower():
                raise TransientError("connection refused") from None  # nothing was sent
            raise TransientError("connection error", ambiguous=True) from None
        except requests.RequestException as exc:
            raise TransientError(f"request error {type(exc).__name__}", ambiguous=True) from None

        status = response.status_code
        if 200 <= status < 300:
            try:
                return str(response.json()["messages"][0]["id"])[:200]
            except (ValueError, KeyError, IndexError, TypeError):
                raise TransientError(f"HTTP {status} without a message id") from None
        detail = _error_code(response)
        text = f"HTTP {status}" + (f" ({detail})" if detail else "")
        if status >= 500 or status in _RETRYABLE_4XX:
            raise TransientError(text, retry_after=_retry_after(response))
        raise PermanentError(text)


_provider: Provider | None = None
_provider_lock = threading.Lock()


def build_provider() -> Provider:
    if settings.WHATSAPP_BACKEND == "http":
        if not (settings.WHATSAPP_API_URL and settings.WHATSAPP_TOKEN):
            raise ImproperlyConfigured("WHATSAPP_BACKEND=http needs WHATSAPP_API_URL and WHATSAPP_TOKEN")
        return HttpProvider(
            api_url=settings.WHATSAPP_API_URL,
            token=settings.WHATSAPP_TOKEN,
            phone_number_id=settings.WHATSAPP_PHONE_NUMBER_ID,
            connect_timeout=settings.WHATSAPP_CONNECT_TIMEOUT,
            read_timeout=settings.WHATSAPP_READ_TIMEOUT,
            idempotent=settings.WHATSAPP_IDEMPOTENT,
        )
    return ConsoleProvider()


def get_provider() -> Provider:
    """The configured provider, built once per process on first use."""
    global _provider
    if _provider is None:
        with _provider_lock:
            if _provider is None:
                _provider = build_provider()
    return _provider


def reset_provider() -> None:
    """Forget the built provider, so changed settings apply (tests, reconfiguration)."""
    global _provider
    _provider = None
