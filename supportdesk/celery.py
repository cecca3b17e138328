"""The Celery app. Tasks live in each app's tasks.py and are discovered from INSTALLED_APPS."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import celeryd_init
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


EMBEDDED_POOL_REFUSED = (
    "The embedded filesystem broker supports only the solo pool (--pool=solo, as scripts/run.sh "
    "starts it): a prefork worker on it was seen to stop consuming for minutes. Set REDIS_URL "
    "to run other pools."
)


@celeryd_init.connect
def _embedded_broker_needs_the_solo_pool(sender=None, conf=None, options=None, **kwargs):
    """Refuse to start a worker on the filesystem broker with any pool but solo. SystemExit,
    not an exception: Celery logs and ignores exceptions raised by signal handlers."""
    if conf is None or not str(conf.broker_url).startswith("filesystem://"):
        return
    options = options or {}
    # The command line's --pool arrives as `pool` (a class), a programmatic start as `pool_cls`.
    pool = options.get("pool") or options.get("pool_cls") or conf.worker_pool
    name = pool if isinstance(pool, str) else getattr(pool, "__module__", repr(pool))
    if not str(name).rsplit(".", 1)[-1] == "solo":
        raise SystemExit(EMBEDDED_POOL_REFUSED)
