"""Issue an API token for a user from the command line (scripts, monitoring, load runs)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from salonbook.api_tokens import api_token_issue


class Command(BaseCommand):
    help = "Print a new API token for USERNAME (kept only as a digest; shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        _, token = api_token_issue(user=user)
        self.stdout.write(token)
