"""The salon's profile and booking rules."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from backoffice.forms import ProfileForm, RulesForm, make_read_only, show_refusal
from backoffice.services import salon_rules_change
from backoffice.views.access import BackOffice, backoffice
from salonbook.errors import InvalidInput
from salons.services import salon_profile_update


@backoffice
def salon_settings(request: HttpRequest, office: BackOffice) -> HttpResponse:
    salon = office.salon
    profile = ProfileForm(initial=ProfileForm.initial_for(salon))
    rules = RulesForm(initial=RulesForm.initial_for(salon))
    if request.method == "POST" and request.POST.get("part") == "profile":
        profile = ProfileForm(request.POST)
        if profile.is_valid():
            try:
                salon_profile_update(salon=salon, **profile.cleaned_data)
            except InvalidInput as refused:
                show_refusal(profile, refused)
            else:
                messages.success(request, "The salon's profile is saved.")
                return redirect("staff:backoffice_settings", slug=salon.slug)
    elif request.method == "POST":
        rules = RulesForm(request.POST)
        if rules.is_valid():
            try:
                salon_rules_change(salon=salon, now=timezone.now(), **rules.cleaned_data)
            except InvalidInput as refused:
                show_refusal(rules, refused)
            else:
                messages.success(request, "The booking rules are saved; free times follow them.")
                return redirect("staff:backoffice_settings", slug=salon.slug)
    if not office.can_change:
        make_read_only(profile, rules)
    status = 400 if (profile.errors or rules.errors) else 200
    return render(
        request,
        "staff/backoffice/settings.html",
        office.context("settings", profile=profile, rules=rules),
        status=status,
    )
