"""Version tokens in the shared cache.

A family of cached values is keyed by a token; replacing the token drops them all at once,
without enumerating keys (the old entries simply expire). Used by the status page and by the
reference-data cache. These raise when the cache is down: call them through supportdesk.safecache
(`versioned`, `bump`), which never does."""

from __future__ import annotations

import uuid

from django.core.cache import cache


def current(key: str) -> str:
    """The token stored under `key`, created on first use."""
    token = cache.get(key)
    if token is None:
        token = uuid.uuid4().hex
        # add(), not set(): processes starting at once agree on one token.
        if not cache.add(key, token, timeout=None):
            token = cache.get(key) or token
    return token


def replace(key: str) -> None:
    """A new token under `key`: every value keyed by the old one is dropped."""
    cache.set(key, uuid.uuid4().hex, timeout=None)
