"""The WhatsApp Cloud API webhook: Meta's verification handshake (GET) and its
signed POSTs of delivery statuses and customers' replies.

Unauthenticated but signed: a POST whose ``X-Hub-Signature-256`` is not the
HMAC-SHA256 of its raw body under ``WHATSAPP_APP_SECRET`` is refused with 403
before anything is read from it. No session, so no CSRF check applies.
"""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from messaging.inbound import inbound_reply_receive, message_status_record
from messaging.webhook import replies, signature_valid, status_updates
from salonbook.api.base import ApiView
from salonbook.errors import InvalidInput, PayloadTooLarge


def _raw_body(request) -> bytes:
    limit = settings.WHATSAPP_WEBHOOK_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise PayloadTooLarge(details={"max_bytes": limit})
    body = request.body
    if len(body) > limit:
        raise PayloadTooLarge(details={"max_bytes": limit})
    return body


class WhatsAppWebhookView(ApiView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes: list = []  # the raw body is what the signature covers
    rate_limit_scope = "webhooks"

    @extend_schema(exclude=True)
    def get(self, request):
        params = request.query_params
        token = settings.WHATSAPP_VERIFY_TOKEN
        given = params.get("hub.verify_token", "")
        if params.get("hub.mode") != "subscribe" or not token or not _same(given, token):
            raise exceptions.PermissionDenied("Verification failed.")
        return HttpResponse(params.get("hub.challenge", ""), content_type="text/plain")

    @extend_schema(exclude=True)
    def post(self, request):
        raw = _raw_body(request)
        if not signature_valid(raw, request.META.get("HTTP_X_HUB_SIGNATURE_256"), settings.WHATSAPP_APP_SECRET):
            raise exceptions.PermissionDenied("Missing or wrong X-Hub-Signature-256.")
        try:
            payload = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput("The body is not JSON.", details={"body": ["Send the webhook's JSON body."]}) from None
        if not isinstance(payload, dict):
            raise InvalidInput("The body is not a JSON object.", details={"body": ["Expected a JSON object."]})
        now = timezone.now()
        recorded = sum(message_status_record(update=update, now=now) for update in status_updates(payload, now=now))
        received = sum(inbound_reply_receive(reply=reply, now=now) is not None for reply in replies(payload, now=now))
        return Response({"statuses_recorded": recorded, "replies_received": received})


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
