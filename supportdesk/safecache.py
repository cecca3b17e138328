"""The shared cache, used so that an outage costs speed and never correctness.

In production the cache is Redis, which is also the Celery broker: when it is down, every cache
call raises (or, on a black-holed network, waits for its socket timeout). Nothing in supportdesk
may depend on the cache to answer, so every use goes through this module:

- `cached(key, build, timeout=...)`: the value under `key`, else `build()`; when the cache fails
  the value is built from the database and the failure is logged;
- `get`, `set`, `add`, `delete`: like Django's, returning a default instead of raising;
- `versioned(version_key, name)`: a key in a family dropped at once by `bump(version_key)`
  (see supportdesk.cachetoken);
- `throttle_cache`: what DRF's throttles keep their counters in (without a cache they let every
  request through: rate limiting is an optimisation of capacity, never a reason to refuse).

After a failure this process stops asking the cache for a few seconds (`RETRY_AFTER_SECONDS`),
so a page that would make twenty cache calls waits for at most one timeout. Invalidation
(`bump`, `delete`) is always attempted even then: skipping it could keep a stale value once the
cache is back."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from supportdesk import cachetoken

logger = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_AFTER_SECONDS = 5.0
_down_until = 0.0
_MISSING = object()


class CacheUnavailable(Exception):
    """The cache did not answer (raised only inside this module)."""


def available() -> bool:
    """False for a few seconds after a cache call failed in this process."""
    return time.monotonic() >= _down_until


def reset() -> None:
    """Forget a recent failure (tests, or after an operator fixed the cache)."""
    global _down_until
    _down_until = 0.0


def _failed(what: str) -> None:
    global _down_until
    first = available()
    _down_until = time.monotonic() + RETRY_AFTER_SECONDS
    if first:  # once per outage window, not once per call
        logger.warning("cache unavailable (%s); working without it", what, exc_info=True)


def _call(what: str, operation: Callable[[], Any], *, always: bool = False) -> Any:
    """operation(), or CacheUnavailable. `always`: try even within the back-off window."""
    if not always and not available():
        raise CacheUnavailable(what)
    try:
        return operation()
    except Exception as exc:  # whatever the backend raises, the database still answers
        _failed(what)
        raise CacheUnavailable(what) from exc


def get(key: str, default: Any = None) -> Any:
    try:
        return _call(f"get {key}", lambda: cache.get(key, default))
    except CacheUnavailable:
        return default


def set(key: str, value: Any, timeout: float | None) -> bool:
    try:
        _call(f"set {key}", lambda: cache.set(key, value, timeout))
        return True
    except CacheUnavailable:
        return False


def add(key: str, value: Any, timeout: float | None) -> bool | None:
    """True if stored, False if the key existed, None if the cache is unavailable."""
    try:
        return bool(_call(f"add {key}", lambda: cache.add(key, value, timeout)))
    except CacheUnavailable:
        return None


def delete(key: str) -> bool:
    try:
        _call(f"delete {key}", lambda: cache.delete(key), always=True)
        return True
    except CacheUnavailable:
        return False


def versioned(version_key: str, name: str) -> str:
    """The key of `name` in the family whose current token is stored under `version_key`.
    Raises CacheUnavailable when the token cannot be read (then nothing may be cached)."""
    token = _call(f"token {version_key}", lambda: cachetoken.current(version_key))
    return f"{version_key}:{token}:{name}"


def bump(version_key: str) -> bool:
    """Drop every value of the family `version_key`. False (and logged) when the cache did not
    answer: values cached before may then outlive the change until they expire."""
    try:
        _call(f"bump {version_key}", lambda: cachetoken.replace(version_key), always=True)
        return True
    except CacheUnavailable:
        logger.error("could not drop the cached %s family; values expire on their own", version_key)
        return False


def cached(
    key: str | Callable[[], str],
    build: Callable[[], T],
    *,
    timeout: float | Callable[[], float | None] | None,
    cache_none: bool = False,
) -> T:
    """The value cached under `key` (or the key `key()` returns: it may read a version token),
    built by `build()` on a miss and stored for `timeout` seconds (or `timeout()`, asked on a
    miss only). None is stored only with `cache_none` (by default "nothing there" may appear any
    moment). When the cache fails the value is built and returned all the same."""
    try:
        full_key = _call("key", key) if callable(key) else key
        value = _call(f"get {full_key}", lambda: cache.get(full_key, _MISSING))
    except CacheUnavailable:
        return build()
    if value is not _MISSING and (value is not None or cache_none):
        return value
    value = build()
    if value is not None or cache_none:
        set(full_key, value, timeout() if callable(timeout) else timeout)
    return value


class _BumpAtCommit:
    """The on-commit hook of a transaction that changed the family `version_key` (and the
    marker that it did)."""

    def __init__(self, version_key: str) -> None:
        self.version_key = version_key

    def __call__(self) -> None:
        bump(self.version_key)


def changing(version_key: str, *, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the connection's open transaction changed the family `version_key` (invalidate()):
    until it commits, it must neither read nor write that family (it sees its own changes,
    and other processes must never get what may still roll back)."""
    connection = connections[using]
    return connection.in_atomic_block and any(
        isinstance(func, _BumpAtCommit) and func.version_key == version_key
        for _, func, _ in connection.run_on_commit
    )


def invalidate(version_key: str, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Drop the family `version_key` once the change is committed: now outside a transaction,
    else when the transaction commits (once however many changes it makes). Until then other
    processes read the data from before the change, so what they cache meanwhile is right, and
    dropped with the rest at the commit; this transaction keeps away from the family
    (changing())."""
    connection = connections[using]
    if connection.in_atomic_block:
        if not changing(version_key, using=using):
            transaction.on_commit(_BumpAtCommit(version_key), using=using)
        return
    bump(version_key)


def mark_committed(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Tests only: run this connection's pending invalidations as its commit would, as they are
    by the time the next request comes in production (a test runs in one transaction)."""
    connection = connections[using]
    pending = [hook for hook in connection.run_on_commit if isinstance(hook[1], _BumpAtCommit)]
    connection.run_on_commit = [
        hook for hook in connection.run_on_commit if not isinstance(hook[1], _BumpAtCommit)
    ]
    for _, bump_at_commit, _ in pending:
        bump_at_commit()


class _ThrottleCache:
    """The cache as DRF's SimpleRateThrottle uses it (`get`, `set`), never raising."""

    def get(self, key: str, default: Any = None) -> Any:
        return get(key, default)

    def set(self, key: str, value: Any, timeout: float | None = None) -> bool:
        return set(key, value, timeout)


throttle_cache = _ThrottleCache()
