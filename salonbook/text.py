"""Text that comes from outside: what may be stored, what a name may hold,
and what a spreadsheet may be handed.

Four rules, each in one place:

- ``storable``: PostgreSQL refuses a NUL character in text, and no database
  driver can encode a lone UTF-16 surrogate (which JSON can carry as
  ``"\\ud800"``). Text received from a provider is cleaned of both before it
  goes near a query.
- ``validate_person_name``: a person's name is letters, marks, spaces and
  punctuation. Control characters (line breaks among them) split the
  salon's WhatsApp alerts and log lines; bidirectional controls (U+202E and
  friends) make a name read backwards. Both are refused, never stored.
- ``spreadsheet_cell``: a CSV cell starting with ``=``, ``+``, ``-``, ``@``, a
  tab or a carriage return is a formula to Excel, LibreOffice and Google
  Sheets (CSV injection). Such a cell is prefixed with an apostrophe, as
  OWASP recommends, so it shows as the text it is.
- ``record_id``: a row id read from a query string or form. ``str.isdigit``
  is true for "²" and other digits ``int`` refuses, and an id past 18 digits
  overflows a database integer, so both are read as no id at all.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable
from typing import Any, Protocol

from django.core.exceptions import ValidationError

# Unicode's bidirectional formatting characters (UAX #9): embeddings,
# overrides, isolates and the implicit marks.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NAME_REFUSED = "Use letters, spaces and punctuation only: no line breaks, control or direction characters."


def record_id(value: object) -> int | None:
    """``value`` as a row id when it is 1 to 18 ASCII digits, else ``None``."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def storable(text: str) -> str:
    """``text`` without NUL characters and lone surrogates (each lone surrogate becomes U+FFFD)."""
    cleaned = text.replace("\x00", "")
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in cleaned)


def _refused_in_names(ch: str) -> bool:
    # Cc: C0 and C1 controls (NUL, tab, line feed, ...); Cs: lone surrogates;
    # Zl, Zp: the line and paragraph separators; and the bidi controls,
    # which are format characters (Cf) like the harmless zero-width joiner.
    return ch in BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp")


def validate_person_name(value: str) -> None:
    """A validator (Django forms and DRF fields alike) for a person's name."""
    if any(_refused_in_names(ch) for ch in value):
        raise ValidationError(NAME_REFUSED, code="invalid_name")


def spreadsheet_cell(value: Any) -> Any:
    """``value`` as a CSV cell a spreadsheet shows as text; numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


class SpreadsheetCsvWriter:
    """``csv.writer`` whose every text cell goes through ``spreadsheet_cell``."""

    def __init__(self, stream: _Writable) -> None:
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([spreadsheet_cell(value) for value in row])
