"""Reference data, cached for every process: the settings singletons, the SLO policies, the
calendar's closed and reduced-capacity dates, and who is on duty today.

Nearly every staff page and every submission reads them (the stewards in the header, the
deadlines, the budget default), and they change a few times a month, from admin or a service.
Reading them from the database cost a page 7 to 10 of its queries.

Invalidation is by one version token for all of it. Saving or deleting any watched model
(WATCHED, connected in supportdesk.apps) replaces the token at once and again when the
transaction commits, so nothing built from the old state is served after the commit. A
transaction that has changed reference data and not yet committed neither reads nor writes the
cache: it sees its own changes, and other processes never get a copy of what may still roll
back. Writes that bypass signals (`QuerySet.update()`, `bulk_create()`, raw SQL) must call
`invalidate()` themselves; the cached values also expire after `TIMEOUT` as a safety net.

Values are keyed by what they depend on besides the database (a day, a date window), so a new
day needs no invalidation."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction

T = TypeVar("T")

VERSION_KEY = "refdata:version"
TIMEOUT = 60 * 60

# app_label.ModelName: every model a cached value is built from.
WATCHED = (
    "accounts.User",
    "communities.BudgetSettings",
    "rotation.Engineer",
    "rotation.RotationOverride",
    "rotation.RotationSettings",
    "slo.CalendarSettings",
    "slo.ClosedDate",
    "slo.SLOPolicy",
)

# Set on a connection whose open transaction changed reference data (see module docstring).
_DIRTY = "_supportdesk_refdata_dirty"


def version() -> str:
    token = cache.get(VERSION_KEY)
    if token is None:
        token = uuid.uuid4().hex
        # add(), not set(): processes starting at once agree on one token.
        if not cache.add(VERSION_KEY, token, timeout=None):
            token = cache.get(VERSION_KEY) or token
    return token


def _bump() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def _dirty(connection) -> bool:
    if not getattr(connection, _DIRTY, False):
        return False
    if connection.in_atomic_block:
        return True
    # Outside any transaction: what made it dirty was committed (and bumped) or rolled back.
    setattr(connection, _DIRTY, False)
    return False


def invalidate(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Drop every cached value: now, and again when the current transaction commits."""
    _bump()
    connection = connections[using]
    if connection.in_atomic_block:
        setattr(connection, _DIRTY, True)

        def committed() -> None:
            setattr(connection, _DIRTY, False)
            _bump()

        transaction.on_commit(committed, using=using)


def cached(name: str, build: Callable[[], T], *, using: str = DEFAULT_DB_ALIAS) -> T:
    """The value cached as `name` for the current reference data, built by `build()` on a miss.
    `name` must say everything else the value depends on (e.g. the day)."""
    if _dirty(connections[using]):
        return build()
    # The token is read before the database: a value built after a commit's bump is fresh.
    key = f"refdata:{version()}:{name}"
    value = cache.get(key)
    if value is None:
        value = build()
        if value is not None:
            cache.set(key, value, TIMEOUT)
    return value


def mark_committed(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Tests only: treat this connection's reference-data changes as committed, as they would be
    by the time the next request comes in production (a test runs in one transaction)."""
    setattr(connections[using], _DIRTY, False)
    _bump()


def reset_for_tests() -> None:
    """Tests only: forget every cached value and any changes of an earlier test."""
    for connection in connections.all(initialized_only=True):
        setattr(connection, _DIRTY, False)
    cache.delete(VERSION_KEY)


def model_changed(sender, instance=None, update_fields=None, using=DEFAULT_DB_ALIAS, **kwargs):
    """post_save / post_delete receiver for WATCHED models."""
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login: nothing cached depends on it
    invalidate(using=using)


def connect() -> None:
    from django.apps import apps
    from django.db.models.signals import post_delete, post_save

    for label in WATCHED:
        model = apps.get_model(label)
        uid = f"supportdesk.refdata:{label}"
        post_save.connect(model_changed, sender=model, dispatch_uid=f"{uid}:save")
        post_delete.connect(model_changed, sender=model, dispatch_uid=f"{uid}:delete")
