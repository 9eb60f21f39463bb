"""Masking personal data (phones, emails, tokens) in text bound for logs or Sentry."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

MASK = "[Filtered]"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Phone numbers as people type them: "+44 7911 123456", "+447911123456",
# "07911 123456", "(020) 7946 0958", "0791-112-3456". Dates ("2026-03-29"),
# times, IP addresses and decimals do not match: without a "+" a number
# needs 9+ digits with only spaces or brackets between them, or dashed
# groups of 3+ digits.
_PHONE = re.compile(
    r"\+\d(?:[\s().-]{0,2}\d){6,15}"
    r"|(?<![\w.:/-])\(?\d(?:[\s()]{0,2}\d){8,15}(?![\w])"
    r"|(?<![\w.:/-])\d{3,5}-\d{3,4}-\d{3,4}(?![\w-])"
)
# "Token abc…", "token=abc…", "manage_token": "abc…", booking token headers.
_TOKEN = re.compile(
    r"(?i)((?:token|manage_token|x-booking-token|authorization|password|secret)[\"']?\s*[:=]?\s*[\"']?"
    r"(?:token\s+|bearer\s+)?)[A-Za-z0-9._~+/=-]{8,}"
)
# The WhatsApp click-to-chat link carries the customer's number in its path.
_WA_ME = re.compile(r"(wa\.me/)\d+")
# A staff member's calendar feed has its secret in the path (calendar programs send nothing else).
_CALENDAR_FEED = re.compile(r"(/calendar/)[A-Za-z0-9_-]{8,}(?=\.ics)")
# Paths whose segment is a key to someone's data: a booking's or a waitlist
# entry's reference (manage and claim pages, their API), and the uid and
# token of a set-password (invite or reset) link.
_SECRET_PATHS = re.compile(
    r"(/(?:manage|waitlist|bookings|customers)/)[a-z2-7]{20,32}(?=/|$|[?#\s\"])"
    r"|(/set-password/)[^/\s]+/[^/\s]+"
)


def _mask_secret_path(match: re.Match[str]) -> str:
    return (match.group(1) or match.group(2)) + MASK


def mask_path(path: str) -> str:
    """A request's path as logs may record it: secrets in it masked, like every log line."""
    return scrub_text(path)


def scrub_text(text: str) -> str:
    if not text:
        return text
    if "%" in text:
        # Query strings arrive percent-encoded ("%2B44...", "%40"): mask the
        # decoded text, and keep it decoded only when something was masked.
        decoded = unquote_plus(text)
        if decoded != text:
            masked = _mask(decoded)
            if masked != decoded:
                return masked
    return _mask(text)


def _mask(text: str) -> str:
    text = _WA_ME.sub(r"\1" + MASK, text)
    text = _CALENDAR_FEED.sub(r"\1" + MASK, text)
    text = _SECRET_PATHS.sub(_mask_secret_path, text)
    text = _EMAIL.sub(MASK, text)
    text = _TOKEN.sub(r"\1" + MASK, text)
    return _PHONE.sub(MASK, text)
