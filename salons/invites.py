"""A staff member's optional login, given by invitation.

The owner names a username (and an email if the member has one); the user is
made with an unusable password and the owner gets a set-password link to pass
on (WhatsApp, email). The link is Django's password-reset token: it works
once, stops working as soon as a password is set, and expires after
``PASSWORD_RESET_TIMEOUT``. Nobody, the owner included, ever knows the
member's password.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from salonbook.errors import InvalidInput
from salons.models import StaffMember
from salons.services import business_info_save


@dataclass(frozen=True)
class Invitation:
    member: StaffMember
    path: str  # the set-password page, relative to the site


def set_password_path(user) -> str:
    """The set-password page for ``user``, valid until a password is set."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("staff:set_password", kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)})


def staff_login_invite(*, member: StaffMember, username: str, email: str = "") -> Invitation:
    """Give ``member`` a login named ``username``; the answer holds the link
    that lets them choose their password. A member who has a login but never
    set a password gets a fresh link instead."""
    User = get_user_model()
    if member.user is not None:
        user = member.user
        if user.has_usable_password():
            raise InvalidInput(details={"username": [f"{member.name} already has a login ({user.get_username()})."]})
        return Invitation(member=member, path=set_password_path(user))
    username = username.strip()
    if not username:
        raise InvalidInput(details={"username": ["Choose a username for the login."]})
    user = User(username=username, email=email.strip())
    user.set_unusable_password()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise InvalidInput(details=exc.message_dict) from None
    try:
        with transaction.atomic():
            user.save()
            member.user = user
            business_info_save(instance=member)
    except IntegrityError:
        raise InvalidInput(details={"username": ["That username is taken."]}) from None
    return Invitation(member=member, path=set_password_path(user))
