"""The salon's services: the list in the owner's order, add, edit, move,
deactivate and bring back."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from backoffice.forms import ServiceForm, make_read_only, show_refusal
from backoffice.views.access import BackOffice, backoffice
from bookings.form_keys import Created, created_redirect, form_create_once
from salonbook.errors import InvalidInput
from salons.models import Service
from salons.selectors import services_of_salon
from salons.services import service_create, service_move, service_set_active, service_update


@backoffice
def service_list(request: HttpRequest, office: BackOffice) -> HttpResponse:
    form = ServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def add() -> Created:
            service = service_create(salon=office.salon, **form.cleaned_data)
            return Created(
                reverse("staff:backoffice_services", kwargs={"slug": office.salon.slug}),
                f"{service.name} is added. Choose who does it on the Staff page.",
            )

        try:
            return created_redirect(
                request, form_create_once(form="service", salon=office.salon, data=request.POST, create=add)
            )
        except InvalidInput as refused:
            show_refusal(form, refused)
    if not office.can_change:
        make_read_only(form)
    context = office.context("services", services=services_of_salon(office.salon), form=form)
    return render(request, "staff/backoffice/services.html", context, status=400 if form.errors else 200)


@backoffice
def service_edit(request: HttpRequest, office: BackOffice, pk: int) -> HttpResponse:
    service = get_object_or_404(Service, pk=pk, salon=office.salon)
    form = ServiceForm(request.POST or None, initial=ServiceForm.initial_for(service))
    if request.method == "POST" and form.is_valid():
        try:
            service_update(service=service, **form.cleaned_data)
        except InvalidInput as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, f"{service.name} is saved.")
            return redirect("staff:backoffice_services", slug=office.salon.slug)
    if not office.can_change:
        make_read_only(form)
    context = office.context("services", service=service, form=form)
    return render(request, "staff/backoffice/service_edit.html", context, status=400 if form.errors else 200)


@require_POST
@backoffice
def service_action(request: HttpRequest, office: BackOffice, pk: int, action: str) -> HttpResponse:
    """Move up or down, deactivate or bring back one service."""
    service = get_object_or_404(Service, pk=pk, salon=office.salon)
    if action in ("up", "down"):
        service_move(service=service, step=-1 if action == "up" else 1)
    elif action in ("deactivate", "activate"):
        service_set_active(service=service, active=action == "activate")
        if action == "deactivate":
            messages.success(request, f"{service.name} is no longer offered; its bookings stay as they are.")
        else:
            messages.success(request, f"{service.name} is offered again.")
    else:
        return HttpResponse("Unknown action.", status=400)
    return redirect("staff:backoffice_services", slug=office.salon.slug)
