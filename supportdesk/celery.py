"""The Celery app. Tasks live in each app's tasks.py and are discovered from INSTALLED_APPS."""

import os
from pathlib import Path

from celery import Celery
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")

app = Celery("supportdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Task log lines carry the request id of the web request that enqueued the task.
app.steps["worker"].add(DjangoStructLogInitStep)


@app.on_after_configure.connect
def _make_embedded_broker_folders(sender, **kwargs):
    """The embedded broker is a set of folders; create them so no process depends on `make`.
    Run when Celery configures itself, not at import: importing this module must not load the
    Django settings."""
    if not str(sender.conf.broker_url).startswith("filesystem://"):
        return
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder", "processed_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
