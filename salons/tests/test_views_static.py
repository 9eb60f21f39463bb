"""The staff pages' CSS and scripts come from our own static files, and they
survive the production static storage (whitenoise's manifest)."""

import re

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_load_scripts_and_styles_only_from_our_static_files(client, salon, staff_of_salon, admin_user):
    client.force_login(staff_of_salon)
    pages = [client.get(reverse("staff:agenda", kwargs={"slug": salon.slug})).content.decode()]
    client.force_login(admin_user)
    pages.append(client.get(reverse("staff:metrics")).content.decode())
    for body in pages:
        sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', body)
        assert sources
        assert all(source.startswith("/static/") for source in sources), sources


def test_collectstatic_with_the_production_storage(tmp_path):
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    manifest = (tmp_path / "staticfiles.json").read_text()
    for name in ("staff/staff.css", "vendor/chartjs/chart-4.6.1.umd.min.js", "vendor/htmx/htmx-2.0.11.min.js"):
        assert f'"{name}"' in manifest
