"""DRF's rate limits, counted in the cache through supportdesk.safecache: when the cache is down
they let requests through instead of answering 500 (limits protect capacity; refusing every
request during a Redis outage would be the outage the limits exist to prevent)."""

from __future__ import annotations

from rest_framework import throttling

from supportdesk import safecache


class AnonRateThrottle(throttling.AnonRateThrottle):
    cache = safecache.throttle_cache


class UserRateThrottle(throttling.UserRateThrottle):
    cache = safecache.throttle_cache


class SimpleRateThrottle(throttling.SimpleRateThrottle):
    cache = safecache.throttle_cache
