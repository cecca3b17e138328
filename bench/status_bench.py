"""The public status page at scale (issue 19): 500 communities with one hub each, a few with
problems. Times the page cold (the cache just invalidated: five queries, every tile rendered),
warm (served from the cache, as nearly every reader gets it), a search (rendered from the
cached overview), and the HTML's size. Everything it creates is deleted afterwards."""

from __future__ import annotations

import statistics
import time

HUBS = 500
PREFIX = "bench-status-"
TARGET_COLD_MS = 1_000
TARGET_WARM_MS = 50


def _timed(call, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def run() -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from availability import status as rules
    from communities.models import Community, Hub

    Hub.objects.filter(slug__startswith=PREFIX).delete()
    Community.objects.filter(slug__startswith=PREFIX).delete()
    communities = Community.objects.bulk_create(
        Community(slug=f"{PREFIX}{n:03d}", name=f"Bench community {n:03d}") for n in range(HUBS)
    )
    Hub.objects.bulk_create(
        Hub(
            community=c,
            slug=f"{PREFIX}{n:03d}",
            name=f"Bench hub {n:03d}",
            url=f"https://{PREFIX}{n:03d}.example.org",
            status_override=(Hub.Status.OUTAGE if n % 100 == 7 else ""),
            status_override_reason=("Bench outage" if n % 100 == 7 else ""),
        )
        for n, c in enumerate(communities)
    )
    client = Client(HTTP_HOST="127.0.0.1")
    try:

        def cold():
            rules._bump()
            with CaptureQueriesContext(connection) as queries:
                response = client.get("/status/")
            return response, len(queries)

        cold_ms, (response, cold_queries) = _timed(cold, 5)
        assert response.status_code == 200, response.status_code
        size = len(response.content)
        warm_ms, _ = _timed(lambda: client.get("/status/"), 20)
        search_ms, found = _timed(lambda: client.get("/status/", {"q": "hub 42"}), 20)
        assert found.status_code == 200
    finally:
        Hub.objects.filter(slug__startswith=PREFIX).delete()
        Community.objects.filter(slug__startswith=PREFIX).delete()
        rules._bump()
    verdict = "met" if cold_ms <= TARGET_COLD_MS and warm_ms <= TARGET_WARM_MS else "NOT MET"
    print(f"status page, {HUBS} hubs in {HUBS} communities (5 with an outage)")
    print(f"  cold (cache invalidated) {cold_ms:8.1f} ms   {cold_queries} queries")
    print(f"  warm (cached)            {warm_ms:8.1f} ms")
    print(f"  search ?q= (10 hubs)   {search_ms:8.1f} ms")
    print(f"  HTML                     {size / 1024:8.1f} KiB")
    print(f"  target: cold <= {TARGET_COLD_MS} ms and warm <= {TARGET_WARM_MS} ms: {verdict}")
    return {
        "hubs": HUBS,
        "cold_ms": round(cold_ms, 1),
        "cold_queries": cold_queries,
        "warm_ms": round(warm_ms, 1),
        "search_ms": round(search_ms, 1),
        "html_kib": round(size / 1024, 1),
        "verdict": verdict,
    }
