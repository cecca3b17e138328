"""The request pages' thread, rendered once and reused until the request changes.

The conversation, the files that came with the request and (for staff) the history are most of
the request pages' queries and template time, and change far less often than they are read.
Their HTML is cached in the shared cache (supportdesk.safecache: an outage costs speed, never
correctness) under a key made of:

- a version token per request (supportdesk.cachetoken), replaced whenever a message, an
  attachment or an event of the request is saved or deleted, or the request deleted (signals,
  connected in `connect()`; writes that bypass signals call `request_changed()`), and a token
  for every request's parts, replaced when a user is saved (except a login: authors' names
  are shown), after `migrate`, and by `invalidate_all()` (bulk writes such as the bench's
  seeding);
- the audience: the team sees internal notes, a representative never does. The parts are
  built from different queries for each audience and stored under different keys, so a
  representative's page can never be served a fragment rendered for staff;
- whether the reader is `is_staff` (the link to an e-mail's original), the language, the time
  zone and the script prefix.

Invalidation is by key, never by delete, once the change is committed (supportdesk.safecache:
at once outside a transaction, else at the commit): until then other processes read the data
from before the change, and a transaction that has changed a request (or a user) neither reads
nor writes that request's parts (it sees its own changes). Tokens are read before the database,
so a value built from data committed after a bump is stored under the new token, never the
old. Values also expire after TIMEOUT."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_delete, post_migrate, post_save
from django.urls import get_script_prefix
from django.utils import timezone, translation

from supportdesk import safecache

# Raise when what is cached changes shape (the parts, or the templates they come from).
SCHEMA = 1
TIMEOUT = 24 * 60 * 60
EVERYTHING = "tickets:page:all"


def _version_key(request_id: int) -> str:
    return f"tickets:page:{request_id}"


def request_changed(request_id: int | None, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Forget the cached parts of one request's pages once the change is committed."""
    if request_id is not None:
        safecache.invalidate(_version_key(request_id), using=using)


def invalidate_all(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Forget the cached parts of every request (after writes that send no signals)."""
    safecache.invalidate(EVERYTHING, using=using)


def parts(
    request_id: int,
    *,
    audience: str,
    user_is_staff: bool,
    build: Callable[[], dict[str, Any]],
    using: str = DEFAULT_DB_ALIAS,
) -> dict[str, Any]:
    """The parts `build()` returns for this request, audience and reader, cached.

    `audience` is "team" (internal notes included) or "public" (never any): `build` must read
    the data for exactly that audience."""
    version_key = _version_key(request_id)
    if safecache.changing(version_key, using=using) or safecache.changing(EVERYTHING, using=using):
        return build()
    zone = timezone.get_current_timezone()

    def key() -> str:
        # Tokens first, then the database (in build): see the module's docstring.
        request_token = safecache.versioned(version_key, "")
        all_token = safecache.versioned(EVERYTHING, "")
        return ":".join(
            (
                f"tickets:page:{SCHEMA}",
                request_token,
                all_token,
                audience,
                "staff" if user_is_staff else "-",
                translation.get_language() or "",
                getattr(zone, "key", str(zone)),
                get_script_prefix(),
            )
        )

    return safecache.cached(key, build, timeout=TIMEOUT)


def reset_for_tests() -> None:
    """Tests only: forget every request's parts (a test's rows are rolled back, and their
    primary keys handed out again)."""
    safecache.bump(EVERYTHING)


def mark_committed(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Tests only: treat this connection's changes as committed (supportdesk.safecache)."""
    safecache.mark_committed(using=using)


# --- signals ---------------------------------------------------------------------------------


def _child_changed(sender, instance=None, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    request_changed(instance.request_id, using=using)


def _request_deleted(sender, instance=None, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    # The parts show nothing of the request's own fields. A deleted request's primary key may
    # be handed out again (SQLite): its parts go with it. A new request needs no bump (nobody
    # could cache parts of it before its commit), which spares every submission a cache write.
    request_changed(instance.pk, using=using)


def _user_changed(sender, instance=None, update_fields=None, using=DEFAULT_DB_ALIAS, **kwargs):
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login changes no name
    invalidate_all(using=using)


def _migrated(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    invalidate_all(using=using)


def connect() -> None:
    from accounts.models import User  # noqa: PLC0415 - connect() runs from ready(), after the app registry
    from tickets.models import Attachment, Message, RequestEvent, SupportRequest  # noqa: PLC0415 - as above

    for model in (Message, Attachment, RequestEvent):
        post_save.connect(_child_changed, sender=model, dispatch_uid=f"pagecache:{model.__name__}")
        post_delete.connect(
            _child_changed, sender=model, dispatch_uid=f"pagecache:del:{model.__name__}"
        )
    post_delete.connect(
        _request_deleted, sender=SupportRequest, dispatch_uid="pagecache:del:request"
    )
    post_save.connect(_user_changed, sender=User, dispatch_uid="pagecache:user")
    post_migrate.connect(_migrated, dispatch_uid="pagecache:migrate")
