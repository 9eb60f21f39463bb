"""An invitation's set-password link works once: after the password is set,
the same link (and any earlier one) no longer opens the form."""

import pytest

from salons.invites import staff_login_invite
from salons.tests.factories import StaffMemberFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-new-password-7"


def _set_password(client, path):
    form = client.get(path, follow=True)
    assert form.context["validlink"], "a fresh link opens the form"
    return client.post(form.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD})


def test_a_used_invite_link_fails(client, salon):
    member = StaffMemberFactory(salon=salon, hours=False)
    earlier = staff_login_invite(member=member, username="new-stylist").path
    invitation = staff_login_invite(member=member, username="new-stylist")

    response = _set_password(client, invitation.path)
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.user.check_password(PASSWORD)

    for path in (invitation.path, earlier):
        again = client.get(path, follow=True)
        assert again.status_code == 200 and not again.context["validlink"]
        form_url = again.redirect_chain[-1][0] if again.redirect_chain else path
        posted = client.post(form_url, {"new_password1": "another-pass-99", "new_password2": "another-pass-99"})
        assert posted.status_code == 200 and not posted.context["validlink"]
    member.user.refresh_from_db()
    assert member.user.check_password(PASSWORD)
