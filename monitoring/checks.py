"""Health checks django-health-check does not ship: the Celery broker itself.

``health_check.contrib.celery.Ping`` needs a worker to answer; the web app
only needs the broker to take its tasks, so this opens a broker connection
and nothing more.
"""

from __future__ import annotations

import dataclasses
import datetime

from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from kombu import Connection


@dataclasses.dataclass
class CeleryBroker(HealthCheck):
    """Connect to the Celery broker (Redis or AMQP) once, with a short timeout."""

    url: str = dataclasses.field(repr=False, default="")
    timeout: datetime.timedelta = dataclasses.field(default=datetime.timedelta(seconds=1), repr=False)

    def run(self) -> None:
        seconds = self.timeout.total_seconds()
        try:
            with Connection(self.url, connect_timeout=seconds) as connection:
                connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=seconds)
        except Exception as exc:  # kombu raises its own, socket and transport errors alike
            raise ServiceUnavailable(f"Broker unreachable ({type(exc).__name__})") from exc
