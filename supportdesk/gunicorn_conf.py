"""gunicorn settings used by `make load` and the Kubernetes web Deployment
(`gunicorn -c python:supportdesk.gunicorn_conf ...`; command-line flags override these).

With PROMETHEUS_MULTIPROC_DIR set, every worker writes its metrics to files there and /metrics
adds them up; the folder is emptied when the server starts, and a worker that exits is marked
dead so its live gauges stop counting."""

from __future__ import annotations

import os
from pathlib import Path

# Workers: chosen from `make load` on a 2-core machine (README, "Choosing gunicorn's workers").
# Per pod or host; scale out with more pods rather than more workers per core. The environment
# (GUNICORN_WORKER_CLASS, GUNICORN_WORKERS, GUNICORN_THREADS) or command-line flags override.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# gunicorn 27's control socket lives at one fixed path per user (~/.gunicorn/gunicorn.ctl): two
# servers on one host would fight over it, and nothing here uses it.
control_socket_disable = True


def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess  # noqa: PLC0415 - the gunicorn master needs it only in multi-process mode

        multiprocess.mark_process_dead(worker.pid)
