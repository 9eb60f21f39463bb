"""Webhook texts that no database stores as sent (a NUL, a lone surrogate)
are cleaned per message: the rest of the batch is recorded, and the answer
is 200 so the provider does not retry the batch for ever."""

import json

import pytest

from bookings.tests.factories import make_booking, next_local
from messaging.models import InboundReply
from messaging.tests.test_webhook_whatsapp import SECRET, URL, envelope, sign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.WHATSAPP_APP_SECRET = SECRET


def test_nul_and_lone_surrogates_are_cleaned_and_the_batch_is_recorded(client, service, staff_member):
    make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))
    messages = [
        {"from": "447911123456", "id": "wamid.nul", "timestamp": "1750857384", "text": {"body": "late\u0000 today"}},
        {"from": "447911123456", "id": "wamid.sur\ud800", "timestamp": "1750857385", "text": {"body": "hi \udfff"}},
        {"from": "447911123456", "id": "wamid.plain", "timestamp": "1750857386", "text": {"body": "see you"}},
    ]
    body = json.dumps(envelope({"messages": messages, "statuses": [{"id": "x\u0000\ud800", "status": "read"}]}))
    raw = body.encode()
    assert b"\\u0000" in raw and b"\\ud800" in raw  # escaped in JSON, as a provider may send them

    response = client.post(URL, data=raw, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=sign(raw))

    assert response.status_code == 200, response.content
    assert response.json()["replies_received"] == 3
    texts = dict(InboundReply.objects.values_list("provider_message_id", "text"))
    assert texts == {"wamid.nul": "late today", "wamid.sur\ufffd": "hi \ufffd", "wamid.plain": "see you"}
