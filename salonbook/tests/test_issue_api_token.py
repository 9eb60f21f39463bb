from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from knox.models import AuthToken

from salonbook.tests.helpers import error_of
from salons.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_printed_token_authenticates_and_is_stored_only_as_a_digest(client):
    user = UserFactory(username="ops", is_superuser=True, is_staff=True)
    out = StringIO()
    call_command("issue_api_token", "ops", stdout=out)
    token = out.getvalue().strip()
    assert client.get("/api/metrics", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert AuthToken.objects.filter(user=user).count() == 1
    assert token not in str(list(AuthToken.objects.values_list()))


def test_an_unknown_user_is_refused(client):
    with pytest.raises(CommandError):
        call_command("issue_api_token", "nobody", stdout=StringIO())
    error_of(client.get("/api/metrics", HTTP_AUTHORIZATION="Token nothing"), 401)
