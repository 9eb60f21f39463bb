"""Logging filters: the request id on every record, personal data off every record.

Both are configured on the console handler in ``settings.LOGGING``, so they
apply to every logger that reaches it, including other libraries'.
"""

from __future__ import annotations

import logging

from monitoring.context import current_request_id
from salonbook.scrub import scrub_text

# Attributes every LogRecord has; anything else came in through ``extra=``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id", "taskName"}


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` ("-" outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or "-"
        return True


class PersonalDataFilter(logging.Filter):
    """Masks phone numbers, emails and tokens in the message and in ``extra`` values.

    The last guard, not the first: code should not log personal data at all,
    but a library's message (a database error quoting a row) may.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it for logging to report
            return True
        cleaned = scrub_text(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, scrub_text(value))
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            # Render the traceback now and mask it: exception messages quote input.
            record.exc_text = scrub_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
