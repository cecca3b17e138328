"""The file cache of embedded mode and `make load` (settings.CACHES without REDIS_URL).

Django's FileBasedCache lists its whole folder on every set() to decide whether to cull: with
1,500 entries that was 1.7 ms of CPU per set (a get, 0.01 ms), growing towards MAX_ENTRIES, and
the request pages cache their conversation on every miss. This one counts the entries on one set
in CULL_EVERY per process and thread (each thread has its own cache object), so the folder may
grow past MAX_ENTRIES (5,000) by at most that many entries per writer before it is culled as
before (a third of it at a time)."""

from __future__ import annotations

from django.core.cache.backends.filebased import FileBasedCache

CULL_EVERY = 50


class FileCache(FileBasedCache):
    _sets_since_cull = CULL_EVERY - 1  # the first set checks (a folder left full by others)

    def _cull(self) -> None:
        self._sets_since_cull += 1
        if self._sets_since_cull < CULL_EVERY:
            return
        self._sets_since_cull = 0
        super()._cull()
