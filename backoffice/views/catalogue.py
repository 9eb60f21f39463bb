"""The salon's services (the list in the owner's order, add, edit, move,
deactivate and bring back) and the resources they need."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from backoffice.forms import ResourceForm, ServiceEditForm, ServiceForm, make_read_only, show_refusal
from backoffice.views.access import BackOffice, backoffice
from bookings.form_keys import Created, created_redirect, form_create_once
from resources.models import Resource
from resources.services import resource_retire, resource_save, service_needs_set
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
    form = ServiceEditForm(request.POST or None, initial=ServiceEditForm.initial_for(service), salon=office.salon)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        needs = fields.pop("resources")
        try:
            with transaction.atomic():
                service_update(service=service, **fields)
                service_needs_set(service=service, resources=needs)
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


# --- Resources ---------------------------------------------------------------------------


@backoffice
def resource_list(request: HttpRequest, office: BackOffice) -> HttpResponse:
    """The salon's resources (chairs, basins, stations) and a form to add one."""
    form = ResourceForm(request.POST or None, salon=office.salon)
    if request.method == "POST" and form.is_valid():

        def add() -> Created:
            resource = _save_resource(Resource(salon=office.salon), form)
            return Created(_resources_url(office), f"{resource.name} is added.")

        try:
            return created_redirect(
                request, form_create_once(form="resource", salon=office.salon, data=request.POST, create=add)
            )
        except InvalidInput as refused:
            show_refusal(form, refused)
    if not office.can_change:
        make_read_only(form)
    resources = Resource.objects.filter(salon=office.salon, is_active=True).prefetch_related("services")
    context = office.context("resources", resources=resources.order_by("name"), form=form)
    return render(request, "staff/backoffice/resources.html", context, status=400 if form.errors else 200)


@backoffice
def resource_edit(request: HttpRequest, office: BackOffice, pk: int) -> HttpResponse:
    resource = get_object_or_404(Resource, pk=pk, salon=office.salon, is_active=True)
    initial = {"name": resource.name, "quantity": resource.quantity, "services": list(resource.services.all())}
    form = ResourceForm(request.POST or None, initial=initial, salon=office.salon)
    if request.method == "POST" and "retire" in request.POST:
        resource_retire(resource=resource)
        messages.success(request, f"{resource.name} is removed; services no longer wait for it.")
        return redirect(_resources_url(office))
    if request.method == "POST" and form.is_valid():
        try:
            _save_resource(resource, form)
        except InvalidInput as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, f"{resource.name} is saved.")
            return redirect(_resources_url(office))
    if not office.can_change:
        make_read_only(form)
    context = office.context("resources", resource=resource, form=form)
    return render(request, "staff/backoffice/resource_edit.html", context, status=400 if form.errors else 200)


def _save_resource(resource: Resource, form: ResourceForm) -> Resource:
    resource.name, resource.quantity = form.cleaned_data["name"].strip(), form.cleaned_data["quantity"]
    return resource_save(resource=resource, services=form.cleaned_data["services"])


def _resources_url(office: BackOffice) -> str:
    return reverse("staff:backoffice_resources", kwargs={"slug": office.salon.slug})
