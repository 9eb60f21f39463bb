import pytest
from django.urls import reverse

from bookings.tests.factories import make_booking, next_local
from bookings.tests.helpers import messages_of
from messaging.models import Message

pytestmark = pytest.mark.django_db

S = Message.Status


@pytest.fixture
def reminders(service, staff_member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(service=service, staff_member=staff_member, start=next_local(service.salon, days=3))
    return {r.kind: r for r in messages_of(booking).filter(kind__startswith="reminder_")}


def retry_now(admin_client, *reminders):
    return admin_client.post(
        reverse("admin:messaging_message_changelist"),
        {"action": "retry_messages_now", "_selected_action": [r.pk for r in reminders]},
        follow=True,
    )


def test_admin_retry_now_sends_a_failed_reminder(admin_client, reminders, eager_tasks, django_capture_on_commit_callbacks):
    failed, sent = reminders["reminder_24h"], reminders["reminder_2h"]
    Message.objects.filter(pk=failed.pk).update(status=S.FAILED, attempts=6, last_error="HTTP 500")
    Message.objects.filter(pk=sent.pk).update(status=S.SENT)
    with django_capture_on_commit_callbacks(execute=True):
        response = retry_now(admin_client, failed, sent)
    assert response.status_code == 200
    text = response.content.decode()
    assert "1 message(s) will be sent now." in text and "1 message(s) left alone" in text
    failed.refresh_from_db()
    assert failed.status == S.SENT and failed.attempts == 1  # console backend
    sent.refresh_from_db()
    assert sent.status == S.SENT


def test_admin_list_shows_attempts_and_errors(admin_client, reminders):
    Message.objects.filter(pk=reminders["reminder_24h"].pk).update(status=S.FAILED, attempts=3, last_error="read timeout")
    response = admin_client.get(reverse("admin:messaging_message_changelist"))
    assert response.status_code == 200
    assert "read timeout" in response.content.decode()
