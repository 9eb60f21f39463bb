"""The customer directory: search, one customer's bookings and note, erase and export.

Staff of the salon see it read-only (they already see customers' names and
phones on the agenda, and the note is there to serve the customer well);
only its owner may edit the note, erase or export, since those change or
hand out personal data.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from bookings.back_office_forms import CustomerNoteForm, CustomerSearchForm, EraseCustomerForm
from bookings.customer_data import customer_erase, customer_export, customer_note_save
from bookings.customers import Customer, customer_directory, customer_for_phone, phone_of_booking
from bookings.views.back_office import owner_only, staff_actor
from salonbook.errors import InvalidInput, NotFound
from salons.models import Salon
from salons.views import salon_access, staff_required


@never_cache
@staff_required
def customer_list(request: HttpRequest, slug: str) -> HttpResponse:
    access = salon_access(request, slug)
    salon, is_owner = access.salon, access.can_change
    form = CustomerSearchForm(request.GET)
    query, page_number = "", 1
    if form.is_valid():
        query, page_number = form.cleaned_data["q"], form.cleaned_data["page"] or 1
    page = customer_directory(salon=salon, query=query, page=page_number)
    context = {"nav": "customers", "salon": salon, "is_owner": is_owner, "form": form, "query": query, "page": page}
    return render(request, "staff/customers/list.html", context, status=200 if form.is_valid() else 400)


def _customer(salon: Salon, reference: str) -> Customer:
    """The customer of booking ``reference`` at ``salon``; 404 otherwise."""
    phone = phone_of_booking(salon=salon, reference=reference)
    customer = customer_for_phone(salon=salon, phone=phone) if phone else None
    if customer is None:
        raise Http404("No such customer.")
    return customer


def _render_detail(request, salon, is_owner, reference, customer, *, note_form=None, status=200) -> HttpResponse:
    context = {
        "nav": "customers",
        "salon": salon,
        "is_owner": is_owner,
        "reference": reference,
        "customer": customer,
        "note_form": note_form or CustomerNoteForm(initial={"note": customer.note}),
    }
    return render(request, "staff/customers/detail.html", context, status=status)


@never_cache
@staff_required
def customer_detail(request: HttpRequest, slug: str, reference: str) -> HttpResponse:
    access = salon_access(request, slug)
    salon, is_owner = access.salon, access.can_change
    return _render_detail(request, salon, is_owner, reference, _customer(salon, reference))


@require_POST
@staff_required
def customer_note(request: HttpRequest, slug: str, reference: str) -> HttpResponse:
    access = salon_access(request, slug)
    salon, is_owner = access.salon, access.can_change
    owner_only(is_owner)
    customer = _customer(salon, reference)
    form = CustomerNoteForm(request.POST)
    if form.is_valid():
        try:
            customer_note_save(salon=salon, phone=customer.phone, note=form.cleaned_data["note"])
        except InvalidInput as exc:
            for name, errors in exc.details.items():
                form.add_error(name, errors)
        else:
            messages.success(request, "Note saved.")
            return redirect("staff:customer", slug=salon.slug, reference=reference)
    return _render_detail(request, salon, is_owner, reference, customer, note_form=form, status=400)


@never_cache
@staff_required
def customer_erase_view(request: HttpRequest, slug: str, reference: str) -> HttpResponse:
    """GET asks for confirmation; POST with the box ticked erases."""
    access = salon_access(request, slug)
    salon, is_owner = access.salon, access.can_change
    owner_only(is_owner)
    customer = _customer(salon, reference)
    form = EraseCustomerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            count = customer_erase(salon=salon, phone=customer.phone, actor=staff_actor(request), now=timezone.now())
        except NotFound:
            raise Http404("No such customer.") from None
        messages.success(request, f"Customer erased: {count} bookings kept without their personal data.")
        return redirect("staff:customers", slug=salon.slug)
    context = {"nav": "customers", "salon": salon, "reference": reference, "customer": customer, "form": form}
    status = 400 if request.method == "POST" else 200
    return render(request, "staff/customers/erase.html", context, status=status)


@require_POST
@staff_required
def customer_export_view(request: HttpRequest, slug: str, reference: str) -> HttpResponse:
    """The customer's data as a JSON download (a POST: it is recorded in their bookings' history)."""
    access = salon_access(request, slug)
    salon, is_owner = access.salon, access.can_change
    owner_only(is_owner)
    customer = _customer(salon, reference)
    try:
        data = customer_export(salon=salon, phone=customer.phone, actor=staff_actor(request), now=timezone.now())
    except NotFound:
        raise Http404("No such customer.") from None
    response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="customer-{reference}.json"'
    response["Cache-Control"] = "no-store"
    return response
