"""Cached business info (salon, services, staff): TTL 1 hour.

Any change to any salon's info makes all business info stale: one version for
every salon. Reads come by slug, changes by salon id, and a slug can itself be
renamed; one version keeps that simple and exact. Changes are rare (an admin
or a manager editing), so a rebuild after each costs little.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.dispatch import receiver

from salonbook.cache import Found, cached, invalidate
from salonbook.redis_clients import GLOBAL_TAG, salon_tag
from salons.selectors import business_info_for_slug
from salons.signals import salon_updated, staff_schedule_changed

T = TypeVar("T")

BUSINESS_INFO_TTL = 60 * 60
BUSINESS_INFO_VERSION = f"bi:v:{GLOBAL_TAG}"


def business_info_entry(*, slug: str, part: str = "info") -> tuple[str, list[str]]:
    """The cache key and version keys of one part of a salon's info (what
    ``salonbook.cache.read_entries`` is given to read it ahead)."""
    return f"bi:{salon_tag(slug)}:{part}", [BUSINESS_INFO_VERSION]


def cached_business_info(*, slug: str, part: str, build: Callable[[], T], found: Found | None = None) -> T:
    """``part`` of the salon ``slug``'s info ("info", its rendered answer,
    ...), from the cache or from ``build()``; ``found``: read ahead."""
    key, versions = business_info_entry(slug=slug, part=part)
    return cached(kind="business_info", key=key, versions=versions, ttl=BUSINESS_INFO_TTL, build=build, found=found)


def business_info(slug: str, *, found: Found | None = None) -> dict[str, Any] | None:
    """The salon ``slug``'s business info (``salons.selectors.business_info_for_slug``),
    from the cache; None, cached too, when no salon has that slug."""
    return cached_business_info(slug=slug, part="info", build=lambda: business_info_for_slug(slug), found=found)


def business_info_invalidate() -> None:
    """Make every salon's cached business info stale."""
    invalidate([BUSINESS_INFO_VERSION])


@receiver(salon_updated, dispatch_uid="salons.cache.business_info_changed")
@receiver(staff_schedule_changed, dispatch_uid="salons.cache.business_info_schedule_changed")
def _business_info_changed(sender: Any, **kwargs: Any) -> None:
    business_info_invalidate()
