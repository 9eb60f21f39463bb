"""Django's own middleware, fitted to a site that is mostly a JSON API."""

from __future__ import annotations

from django.contrib.messages.middleware import MessageMiddleware


class PagesOnlyMessageMiddleware(MessageMiddleware):
    """Flash messages for the staff pages and the admin. API requests skip
    building the message store: a JSON answer never shows one, and the
    anonymous reads are the hottest path there is."""

    def process_request(self, request):
        if not request.path_info.startswith("/api/"):
            super().process_request(request)
