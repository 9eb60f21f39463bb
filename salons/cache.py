"""Cached business info (salon, services, staff): TTL 1 hour.

Pass-through for now: ``build`` is called every time. The cache layer keeps
this signature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def cached_business_info(*, slug: str, part: str, build: Callable[[], T]) -> T:
    """The JSON-ready ``part`` ("salon", "services", "staff", ...) of the salon
    ``slug``'s info, from the cache or from ``build()``."""
    return build()
