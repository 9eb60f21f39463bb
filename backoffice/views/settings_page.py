"""The salon's profile and booking rules."""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from backoffice.forms import BookingPageForm, ProfileForm, RulesForm, make_read_only, show_refusal
from backoffice.services import salon_rules_change
from backoffice.views.access import BackOffice, backoffice
from salonbook.errors import InvalidInput
from salons.models import Salon
from salons.services import salon_booking_page_update, salon_profile_update


def _booking_page(salon: Salon) -> dict[str, str]:
    """The link the salon shares, its QR code (an SVG drawn here, as a data:
    URI the page's policy allows) and the snippet that puts it on a website."""
    url = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("booking-page", args=[salon.slug])
    qr = segno.make(url, error="m")
    snippet = (
        f'<iframe src="{url}" title="Book at {salon.name}" width="100%" height="900" '
        'style="border:0;max-width:40rem" loading="lazy"></iframe>'
    )
    return {"url": url, "qr": qr.svg_data_uri(scale=5, border=2), "snippet": snippet}


@backoffice
def salon_settings(request: HttpRequest, office: BackOffice) -> HttpResponse:
    salon = office.salon
    profile = ProfileForm(initial=ProfileForm.initial_for(salon))
    rules = RulesForm(initial=RulesForm.initial_for(salon))
    page = BookingPageForm(initial=BookingPageForm.initial_for(salon))
    if request.method == "POST" and request.POST.get("part") == "page":
        page = BookingPageForm(request.POST)
        if page.is_valid():
            try:
                salon_booking_page_update(salon=salon, **page.cleaned_data)
            except InvalidInput as refused:
                show_refusal(page, refused)
            else:
                messages.success(request, "The booking page's settings are saved.")
                return redirect("staff:backoffice_settings", slug=salon.slug)
    elif request.method == "POST" and request.POST.get("part") == "profile":
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
        make_read_only(profile, rules, page)
    status = 400 if (profile.errors or rules.errors or page.errors) else 200
    return render(
        request,
        "staff/backoffice/settings.html",
        office.context("settings", profile=profile, rules=rules, page=page, booking_page=_booking_page(salon)),
        status=status,
    )
