"""The system's health, from django-health-check's probes, in our own shape.

``health() -> dict`` is what ``/api/health`` serves (and what the admins'
metrics page shows)::

    {"status": "healthy" | "degraded" | "unhealthy",
     "version": "0.1.0",
     "checks": {
        "database":      {"status": "up" | "down", "critical": True,  "latency_ms": 1.2},
        "cache":         {"status": "up" | "down" | "not_configured", "critical": False, "latency_ms": 0.4},
        "celery_broker": {"status": "up" | "down" | "disabled", "critical": False, "latency_ms": 2.0},
        "metrics_store": {"status": "up" | "down" | "disabled", "critical": False, "store": "redis" | "local"}}}

A failed check adds ``"error"``: the kind of failure only ("Unavailable"),
never a host name or a message from the driver. The database is critical:
without it nothing works (``unhealthy``, HTTP 503). The rest are not: the app
serves from the database without Redis and queues nothing without a broker,
so those make it ``degraded`` (HTTP 200), and a load balancer keeps routing.
Without Redis configured at all (the embedded development setup) the cache is
local to each process and the status is ``degraded`` too.

Cost: one ``SELECT 1``, one cache set and get, one broker connection, all at
once and with short timeouts; the metrics store reports its last state
without a round trip.
"""

from __future__ import annotations

import asyncio
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django_redis.cache import RedisCache
from health_check.base import HealthCheck, HealthCheckResult
from health_check.checks import Cache, Database

from monitoring.checks import CeleryBroker
from monitoring.metrics.store import get_store

HEALTHY, DEGRADED, UNHEALTHY = "healthy", "degraded", "unhealthy"
NOT_CONFIGURED = "not_configured"


def _checks() -> dict[str, tuple[HealthCheck, bool]]:
    """Name -> (probe, critical). Listed explicitly: the library's defaults include Mail and DNS."""
    checks: dict[str, tuple[HealthCheck, bool]] = {
        "database": (Database(alias="default"), True),
        "cache": (Cache(alias="default"), False),
    }
    broker_url = getattr(settings, "CELERY_BROKER_URL", None)
    if broker_url:
        checks["celery_broker"] = (CeleryBroker(url=broker_url), False)
    return checks


async def _run(probes: list[HealthCheck]) -> list[HealthCheckResult]:
    return await asyncio.gather(*(probe.get_result() for probe in probes))


def _describe(result: HealthCheckResult, critical: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "status": "down" if result.error else "up",
        "critical": critical,
        "latency_ms": round(result.time_taken * 1000, 2),
    }
    if result.error:
        entry["error"] = result.error.message_type
    return entry


def health() -> dict[str, Any]:
    """Probe every dependency once and say how the system is."""
    checks = _checks()
    results = asyncio.run(_run([probe for probe, _ in checks.values()]))
    report: dict[str, dict[str, Any]] = {
        name: _describe(result, critical) for (name, (_, critical)), result in zip(checks.items(), results)
    }
    if "celery_broker" not in report:
        # No broker configured: tasks run inside the request (development).
        report["celery_broker"] = {"status": "disabled", "critical": False}
    report["metrics_store"] = {"critical": False, **get_store().probe()}
    report["metrics_store"].pop("unsent_series", None)
    if not isinstance(caches["default"], RedisCache):
        # Development without Redis works, but nothing is shared between
        # processes: say so rather than claim full health.
        report["cache"]["status"] = NOT_CONFIGURED

    if any(entry["status"] == "down" and entry["critical"] for entry in report.values()):
        status = UNHEALTHY
    elif any(entry["status"] in ("down", NOT_CONFIGURED) for entry in report.values()):
        status = DEGRADED
    else:
        status = HEALTHY
    return {"status": status, "version": settings.VERSION, "checks": report}


def http_status(report: dict[str, Any]) -> int:
    """503 only when the app cannot serve; degraded still serves."""
    return 503 if report["status"] == UNHEALTHY else 200


def admin_page_checks() -> list[tuple[type[HealthCheck], dict[str, Any]]]:
    """The same probes for django-health-check's own page (admins only)."""
    return [(type(probe), dataclass_options(probe)) for probe, _ in _checks().values()]


def dataclass_options(probe: HealthCheck) -> dict[str, Any]:
    import dataclasses

    return {field.name: getattr(probe, field.name) for field in dataclasses.fields(probe) if field.init}
