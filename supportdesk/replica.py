"""Optional read replica for heavy, read-only pages (the reliability dashboard; exports).

With `DATABASE_REPLICA_URL` set, settings.py adds a `replica` database, and code that may read
slightly stale data wraps its reads in `with replica_reads():`; every read inside (including
those of the services it calls) goes to the replica through `ReplicaRouter`. Writes always go to
the primary. Without the setting nothing changes."""

from __future__ import annotations

import contextlib
import contextvars

from django.conf import settings

REPLICA = "replica"
_reading = contextvars.ContextVar("supportdesk_replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextlib.contextmanager
def replica_reads():
    token = _reading.set(True)
    try:
        yield REPLICA if replica_configured() else "default"
    finally:
        _reading.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _reading.get() and replica_configured():
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA
