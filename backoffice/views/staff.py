"""The salon's staff members: add, edit (role, services, deactivate) and
an optional login by invitation."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from backoffice.forms import InviteForm, StaffMemberForm, make_read_only, show_refusal
from backoffice.views.access import BackOffice, backoffice
from bookings.form_keys import Created, created_redirect, form_create_once
from bookings.selectors import bookings_outside_hours
from salonbook.errors import InvalidInput
from salons.invites import staff_login_invite
from salons.models import StaffMember
from salons.selectors import staff_of_salon
from salons.services import staff_member_create, staff_member_update


@backoffice
def staff_list(request: HttpRequest, office: BackOffice) -> HttpResponse:
    form = StaffMemberForm(request.POST or None, salon=office.salon, initial={"role": StaffMember.Role.STYLIST})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def add() -> Created:
            member = staff_member_create(
                salon=office.salon, name=data["name"], role=data["role"], services=data["services"]
            )
            return Created(
                reverse("staff:backoffice_hours", kwargs={"slug": office.salon.slug, "pk": member.pk}),
                f"{member.name} is added. Set their hours to make them bookable.",
            )

        try:
            return created_redirect(
                request, form_create_once(form="staff-member", salon=office.salon, data=request.POST, create=add)
            )
        except InvalidInput as refused:
            show_refusal(form, refused)
    form.fields.pop("is_active")
    if not office.can_change:
        make_read_only(form)
    context = office.context(
        "staff",
        members=staff_of_salon(office.salon),
        form=form,
        outside=bookings_outside_hours(salon=office.salon, now=timezone.now()),
    )
    return render(request, "staff/backoffice/staff.html", context, status=400 if form.errors else 200)


@backoffice
def staff_edit(request: HttpRequest, office: BackOffice, pk: int) -> HttpResponse:
    member = get_object_or_404(StaffMember.objects.select_related("user", "salon"), pk=pk, salon=office.salon)
    form = StaffMemberForm(request.POST or None, salon=office.salon, initial=StaffMemberForm.initial_for(member))
    if request.method == "POST" and form.is_valid():
        try:
            staff_member_update(member=member, **form.cleaned_data)
        except InvalidInput as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, f"{member.name} is saved.")
            return redirect("staff:backoffice_staff_edit", slug=office.salon.slug, pk=member.pk)
    invite = InviteForm()
    if not office.can_change:
        make_read_only(form, invite)
    context = office.context(
        "staff",
        member=member,
        form=form,
        invite=invite,
        outside=bookings_outside_hours(salon=office.salon, now=timezone.now(), staff_member_id=member.pk),
    )
    return render(request, "staff/backoffice/staff_edit.html", context, status=400 if form.errors else 200)


@require_POST
@backoffice
def staff_invite(request: HttpRequest, office: BackOffice, pk: int) -> HttpResponse:
    """Give the member a login and show the set-password link to pass on."""
    member = get_object_or_404(StaffMember.objects.select_related("user", "salon"), pk=pk, salon=office.salon)
    invite = InviteForm(request.POST)
    link = None
    if invite.is_valid():
        try:
            invitation = staff_login_invite(member=member, **invite.cleaned_data)
        except InvalidInput as refused:
            show_refusal(invite, refused)
        else:
            link = request.build_absolute_uri(invitation.path)
    form = StaffMemberForm(salon=office.salon, initial=StaffMemberForm.initial_for(member))
    context = office.context("staff", member=member, form=form, invite=invite, invite_link=link, outside=[])
    return render(request, "staff/backoffice/staff_edit.html", context, status=400 if invite.errors else 200)
