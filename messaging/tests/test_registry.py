"""The outbox asks the app whose subject a message is about; it decides nothing itself."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from messaging import registry
from messaging.models import Message
from messaging.outbox import message_row, messages_write
from messaging.registry import Description, SubjectHandler, subject_register, untrue_messages
from messaging.texts import message_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def parcels(monkeypatch):
    """A subject kind of this test's own, registered as an app would."""
    monkeypatch.setattr(registry, "_subjects", dict(registry._subjects))
    lost = set()
    subject_register("parcel", SubjectHandler(
        describe=lambda message: Description("es", {"salon_name": "Correos"}),
        untrue=lambda messages: {m.pk: "parcel lost" for m in messages if m.subject in lost},
    ))
    return lost


def _write(subject: str) -> Message:
    now = timezone.now()
    [row] = messages_write([message_row(
        salon_id=7, subject=subject, kind=Message.Kind.WAITLIST_OFFER, to="+447911000111", due_at=now, now=now,
        parameters={"customer_name": "Lu", "service_name": "Corte", "when": "viernes", "expires": "10:15",
                    "claim_url": "https://example.test/c"}, expires_at=now + dt.timedelta(minutes=15),
    )], now=now)
    return row


def test_the_subjects_app_words_the_message_and_says_when_it_is_no_longer_true(parcels):
    kept, lost = _write("parcel:1"), _write("parcel:2")
    parcels.add("parcel:2")
    assert untrue_messages([kept, lost]) == {lost.pk: "parcel lost"}
    assert message_text(kept).startswith("Hola Lu") and "Correos" in message_text(kept)


def test_a_message_about_nothing_registered_is_always_true_and_worded_from_its_parameters():
    row = _write("")
    assert untrue_messages([row]) == {}
    assert "https://example.test/c" in message_text(row)


def test_a_second_handler_for_the_same_subject_kind_is_refused(parcels):
    with pytest.raises(ImproperlyConfigured):
        subject_register("parcel", SubjectHandler(describe=lambda message: Description("en")))
    with pytest.raises(ImproperlyConfigured):
        subject_register("booking", SubjectHandler(describe=lambda message: Description("en")))
