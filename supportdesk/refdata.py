"""Reference data, cached for every process: the settings singletons, the SLO policies, the
calendar's closed and reduced-capacity dates, who is on duty today, and the active webhook
endpoints.

Nearly every staff page and every submission reads them (the stewards in the header, the
deadlines, the budget default, the endpoints an event is posted to), and they change a few times
a month, from admin or a service. Reading them from the database cost a page 7 to 10 of its
queries.

Invalidation is by one version token for all of it. Saving or deleting a watched model, or
changing a watched relation (WATCHED and WATCHED_RELATIONS, connected in supportdesk.apps; users
only when they are engineers, webhook endpoints unless new and inactive) replaces the token at once
and again when the transaction commits, so nothing built from the old state is served after the
commit. A transaction that has changed reference data and not yet committed neither reads nor
writes the cache: it sees its own changes, and other processes never get a copy of what may
still roll back. (It knows by its own on-commit hook, which Django drops when the change is
rolled back.) Writes that bypass signals (`QuerySet.update()`, `bulk_create()`, raw SQL,
historical models in data migrations) must call `invalidate()`; every `migrate` does, so a
deploy starts afresh, and SCHEMA is part of every key for values whose shape changes. The
values also expire after TIMEOUT.

The cache is an optimisation, never a dependency (supportdesk.safecache): when it fails (Redis
down) values are built from the database and the failure is logged.

Values are keyed by what they depend on besides the database (a day, a date window), so a new
day needs no invalidation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.apps import apps
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

from supportdesk import cachetoken, safecache

logger = logging.getLogger(__name__)

T = TypeVar("T")

VERSION_KEY = "refdata:version"
# Raise when a cached value changes shape (a field of Policies, CalendarBasis, ...).
SCHEMA = 2
TIMEOUT = 60 * 60

# app_label.ModelName: every model a cached value is built from.
WATCHED = (
    "accounts.User",
    "communities.BudgetSettings",
    "integrations.WebhookEndpoint",
    "rotation.Engineer",
    "rotation.RotationOverride",
    "rotation.RotationSettings",
    "slo.CalendarSettings",
    "slo.ClosedDate",
    "slo.SLOPolicy",
)
# app_label.ModelName.field: the many-to-many relations a cached value is built from.
WATCHED_RELATIONS = ("integrations.WebhookEndpoint.hubs",)


def version() -> str:
    return cachetoken.current(VERSION_KEY)


def _bump() -> bool:
    """Never raises (supportdesk.safecache): False when the cache did not answer."""
    return safecache.bump(VERSION_KEY)


def _bump_after_commit() -> None:
    """The on-commit hook of a transaction that changed reference data (and its marker)."""
    _bump()


def _changing(connection) -> bool:
    """Whether the connection's open transaction has changed reference data."""
    return connection.in_atomic_block and any(
        func is _bump_after_commit for _, func, _ in connection.run_on_commit
    )


def invalidate(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Drop every cached value: now, and again when the current transaction commits."""
    connection = connections[using]
    if connection.in_atomic_block and not _changing(connection):
        # The data is committed by then; the bump never raises, so it cannot turn it into a 500.
        transaction.on_commit(_bump_after_commit, using=using)
    if not _bump():
        # Values cached now may outlive the change by up to TIMEOUT: say so loudly.
        logger.error("reference data changed but the cache could not be invalidated")


def cached(name: str, build: Callable[[], T], *, using: str = DEFAULT_DB_ALIAS) -> T:
    """The value cached as `name` for the current reference data, built by `build()` on a miss.
    `name` must say everything else the value depends on (e.g. the day)."""
    if _changing(connections[using]):
        return build()
    # The token is read before the database: a value built after a commit's bump is fresh.
    return safecache.cached(lambda: f"refdata:{SCHEMA}:{version()}:{name}", build, timeout=TIMEOUT)


def mark_committed(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Tests only: treat this connection's reference-data changes as committed, as they would be
    by the time the next request comes in production (a test runs in one transaction). Only the
    marker goes; the token is not bumped, so a change whose signal is missing still shows."""
    connection = connections[using]
    connection.run_on_commit = [
        hook for hook in connection.run_on_commit if hook[1] is not _bump_after_commit
    ]


def reset_for_tests() -> None:
    """Tests only: forget every cached value."""
    cache.delete(VERSION_KEY)


# --- signals (connected by supportdesk.apps) --------------------------------------------------


def model_changed(sender, instance=None, update_fields=None, using=DEFAULT_DB_ALIAS, **kwargs):
    """post_save / post_delete receiver for WATCHED models."""
    if sender._meta.label == "accounts.User":
        if update_fields is not None and set(update_fields) <= {"last_login"}:
            return  # a login
        from rotation.models import Engineer  # noqa: PLC0415 - upward import: a listed layer exception

        # Users matter as the engineers on the roster (names, addresses, active or not); a new
        # representative or a password change leaves the cache alone.
        if not Engineer.objects.using(using).filter(user_id=instance.pk).exists():
            return
    created_inactive = kwargs.get("created") and not getattr(instance, "is_active", True)
    if sender._meta.label == "integrations.WebhookEndpoint" and created_inactive:
        return  # an unconfirmed status-page subscriber's: only active endpoints are cached
    invalidate(using=using)


def relation_changed(sender, instance=None, action="", using=DEFAULT_DB_ALIAS, **kwargs):
    """m2m_changed receiver for WATCHED_RELATIONS (a webhook endpoint's hubs)."""
    if not action.startswith("post_"):
        return
    if getattr(instance, "is_active", True) is False:
        return  # an inactive endpoint's hubs: not cached
    invalidate(using=using)


def migrated(sender=None, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate: data migrations write without signals, and a deploy may change code."""
    invalidate(using=using)


def connect() -> None:
    for label in WATCHED:
        model = apps.get_model(label)
        uid = f"supportdesk.refdata:{label}"
        post_save.connect(model_changed, sender=model, dispatch_uid=f"{uid}:save")
        post_delete.connect(model_changed, sender=model, dispatch_uid=f"{uid}:delete")
    for label in WATCHED_RELATIONS:
        model_label, relation = label.rsplit(".", 1)
        through = apps.get_model(model_label)._meta.get_field(relation).remote_field.through
        m2m_changed.connect(
            relation_changed, sender=through, dispatch_uid=f"supportdesk.refdata:{label}"
        )
    # Sent once per app with models (supportdesk has none): a few cheap bumps per migrate.
    post_migrate.connect(migrated, dispatch_uid="supportdesk.refdata:migrate")
