"""The outbox's tests run it with the bookings app as its subject: what a
booking owes is the realistic load, and the registered hooks are exercised
as they run in production."""

from messaging.tests.fixtures import eager_tasks, fake_provider, whatsapp_http  # noqa: F401  (fixtures)
