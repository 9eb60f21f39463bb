"""The Celery application: workers and beat load tasks from every app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salonbook.settings")

app = Celery("salonbook")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
