"""Events of the outbox: monitoring counts these.

Every message event has ``message_id`` (int) and ``kind`` (str, e.g.
"booking_confirmed", "reminder_24h").
"""

from salonbook.events import NamedSignal

message_sent = NamedSignal("message_sent")
"""The provider accepted a message."""

message_retried = NamedSignal("message_retried")
"""A send failed and will be tried again. Also ``error`` (str, no personal data)."""

message_failed = NamedSignal("message_failed")
"""A message gave up for good. Also ``error`` (str, no personal data)."""

message_expired = NamedSignal("message_expired")
"""A message became moot (its appointment passed) before it could go out."""

message_status_reported = NamedSignal("message_status_reported")
"""The provider's webhook moved a sent message on. Also ``status`` (str: delivered, read, failed)."""

breaker_state_changed = NamedSignal("breaker_state_changed")
"""The WhatsApp provider's circuit breaker moved. Args: ``old_state`` (str), ``new_state`` (str: closed, open, half-open)."""
