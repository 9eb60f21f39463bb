"""Cached availability per salon, day and service: TTL 5 minutes.

Pass-through for now: ``build`` is called every time. The cache layer keeps
this signature.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def cached_availability(
    *, salon_id: int, day: dt.date, service_id: int, staff_member_id: int | None, build: Callable[[], T]
) -> T:
    """The JSON-ready free starts for one salon-local day, from the cache or ``build()``."""
    return build()
