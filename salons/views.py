"""Signing in to the staff pages, and who may see which salon.

Staff are users with an active StaffMember; admins are superusers and may
open any salon. Everyone else gets the login page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from salonbook.api_tokens import api_tokens_revoke_all
from salons.models import Salon
from salons.selectors import (
    is_platform_admin,
    staff_member_for_user,
    user_can_manage_salon,
    user_is_staff_or_admin,
    user_owns_salon,
)

NO_ACCESS = "This account cannot use the staff pages. Ask the salon owner to link it to a staff member."


class StaffAuthenticationForm(AuthenticationForm):
    """Django's login form that also turns away users who are not staff."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not user_is_staff_or_admin(user):
            raise forms.ValidationError(NO_ACCESS, code="not_staff")


class StaffLoginView(LoginView):
    """Django's login page. Failed logins are throttled by django-axes: during a
    cool-off this page comes back as 429 saying when to try again
    (``salonbook.login_throttle.lockout_response``)."""

    template_name = "registration/login.html"
    authentication_form = StaffAuthenticationForm


@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    """Ends every API token of the user (apps, scripts, other devices) and this session."""
    if request.user.is_authenticated:
        api_tokens_revoke_all(user=request.user)
    logout(request)
    messages.success(request, "You are logged out everywhere: every app and device must log in again.")
    return redirect("staff:login")


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let in admins and active staff; send anyone else to the login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user_is_staff_or_admin(user):
            messages.error(request, NO_ACCESS)
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Admins only: strangers go to the login page, staff get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_platform_admin(request.user):
            raise PermissionDenied("Only admins can see this page.")
        return view(request, *args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class SalonAccess:
    salon: Salon
    can_change: bool  # owners and admins; the salon's stylists only look


def salon_access(request: HttpRequest, slug: str) -> SalonAccess:
    """The one guard of a salon's staff pages. The salon's staff and admins
    get in; anyone else gets 404, the answer for a salon that does not exist,
    so another salon's staff cannot even learn what is there."""
    salon = Salon.objects.filter(slug=slug).first()
    if salon is None or not user_can_manage_salon(request.user, salon.pk):
        raise Http404("No salon with that name.")
    return SalonAccess(salon=salon, can_change=user_owns_salon(request.user, salon.pk))


def salon_for(request: HttpRequest, slug: str) -> Salon:
    """The salon ``slug`` if the user may see its staff pages (``salon_access``)."""
    return salon_access(request, slug).salon


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    """Staff land on their salon's agenda; admins pick a salon."""
    member = staff_member_for_user(request.user)
    if member is not None:
        return redirect("staff:agenda", slug=member.salon.slug)
    return redirect("staff:salon_list")


@staff_required
def salon_list(request: HttpRequest) -> HttpResponse:
    member = staff_member_for_user(request.user)
    if member is not None and not is_platform_admin(request.user):
        return redirect("staff:agenda", slug=member.salon.slug)
    salons = Salon.objects.order_by("name")
    return render(request, "staff/salon_list.html", {"nav": "salons", "salons": salons})
