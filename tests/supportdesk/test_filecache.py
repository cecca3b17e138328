"""The file cache (embedded mode, `make load`) counts its entries on one write in CULL_EVERY
instead of on every write, and still culls past MAX_ENTRIES."""

from __future__ import annotations

from supportdesk.filecache import CULL_EVERY, FileCache


def _cache(tmp_path, max_entries: int) -> FileCache:
    return FileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": max_entries}})


def test_the_folder_is_listed_once_in_cull_every_writes(tmp_path, monkeypatch):
    cache = _cache(tmp_path, 1000)
    listings = []
    listed = FileCache._list_cache_files
    monkeypatch.setattr(
        FileCache, "_list_cache_files", lambda self: listings.append(1) or listed(self)
    )
    for n in range(2 * CULL_EVERY):
        cache.set(f"key-{n}", n)
    assert len(listings) == 2  # the first write, then one in CULL_EVERY
    assert cache.get("key-7") == 7


def test_a_full_folder_is_still_culled(tmp_path):
    # A cull removes a third of the entries (CULL_FREQUENCY 3): more than CULL_EVERY from 300.
    cache = _cache(tmp_path, 300)
    for n in range(1000):
        cache.set(f"key-{n}", n)
        assert len(cache._list_cache_files()) <= 300 + CULL_EVERY
    assert cache.get("key-999") == 999
