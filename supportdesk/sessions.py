"""Sessions kept in the database and read from the shared cache (SESSION_ENGINE).

Django's `cached_db` engine: every session is written to the database and to the cache, and
read from the cache, so a signed-in page costs no session query (it was one of the ten of a
submission). The database stays the record: a session the cache has lost (eviction, a restart
of Redis) is read from it again.

Two changes to Django's engine, for the cache's outages (supportdesk.safecache): a cache that
does not answer makes the session come from the database, never an error; and a session is
trusted from the cache for at most CACHE_SECONDS. That bounds the one thing an outage can
spoil: a sign-out whose cache delete failed (the database row is gone, the cached copy not)
ends the session everywhere within CACHE_SECONDS at the latest."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import cached_db

from supportdesk import safecache

CACHE_SECONDS = 300


class _SessionCache:
    """The cache as cached_db.SessionStore uses it, through supportdesk.safecache."""

    def get(self, key: str, default: Any = None) -> Any:
        return safecache.get(key, default)

    def set(self, key: str, value: Any, timeout: float | None = None) -> bool:
        timeout = CACHE_SECONDS if timeout is None else min(timeout, CACHE_SECONDS)
        return safecache.set(key, value, timeout)

    def delete(self, key: str) -> bool:
        return safecache.delete(key)

    def __contains__(self, key: str) -> bool:
        return safecache.get(key) is not None

    # The async views Django would run under ASGI (this app is served by WSGI).
    async def aget(self, key: str, default: Any = None) -> Any:
        return self.get(key, default)

    async def aset(self, key: str, value: Any, timeout: float | None = None) -> bool:
        return self.set(key, value, timeout)

    async def adelete(self, key: str) -> bool:
        return self.delete(key)


class SessionStore(cached_db.SessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._cache = _SessionCache()
