"""Reminders before an appointment: an outbox of rows in the database, sent
by Celery through a WhatsApp provider, exactly once in effect.

``messages`` renders the text, ``services`` is the only code that changes a
reminder's state.
"""
