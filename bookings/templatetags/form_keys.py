"""``{% form_key %}``: the hidden one-time key of a staff create form (``bookings.form_keys``)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from bookings.form_keys import FIELD, new_form_key

register = template.Library()


@register.simple_tag
def form_key() -> SafeString:
    """A fresh key on every render: a form shown again after an error is a new attempt."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_form_key())
