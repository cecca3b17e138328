"""The steward's volume work on the 100,000-request dataset: full-text search (the queue page
with a search, and the search's own query) and the streamed CSV export of every request (time,
and the peak of Python memory while streaming, measured with tracemalloc in a second pass so
that its overhead stays out of the time).

Targets (reported, never asserted): search <= 30 ms at any size (issues 19 and 21); the
export's memory must not grow with the rows (a few MB for 100,000). A search takes the newest
tickets.search.SEARCH_LIMIT matches (README "Search"): "200+" below says more matched."""

from __future__ import annotations

import statistics
import time
import tracemalloc

RUNS = 10
WARMUP = 2
TARGET_SEARCH_MS = 30
WORDS = ("kernel crash", "dask scheduler", "zarr")


def _median_ms(call, runs: int = RUNS, cpu: list | None = None) -> float:
    for _ in range(WARMUP):
        call()
    times, cpu_times = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        call()
        times.append((time.perf_counter() - began) * 1000)
        cpu_times.append((time.process_time() - began_cpu) * 1000)
    if cpu is not None:
        cpu.append(round(statistics.median(cpu_times), 1))
    return round(statistics.median(times), 1)


def run() -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import User
    from tickets.selectors import request_list_for

    staff = User.objects.filter(engineer__isnull=False).order_by("pk").first()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(staff)
    queue = reverse("tickets:queue")
    results: dict = {"search": {}, "export": {}}

    print(f"{'search':31} {'page':>9} {'cpu':>9} {'query':>9} {'queries':>8} {'matches':>8}")
    for words in WORDS:
        page_cpu: list = []
        page_ms = _median_ms(lambda words=words: client.get(queue, {"q": words}), cpu=page_cpu)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(queue, {"q": words})
        # Best match first, as the queue orders a search.
        listing = request_list_for(user=staff, filters={"state": "open", "q": words})
        qs = listing.requests

        def first_page(qs=qs):
            return list(qs[:25])

        query_ms = _median_ms(first_page)
        matches = qs.order_by().count()
        results["search"][words] = {
            "page_median_ms": page_ms,
            "page_cpu_ms": page_cpu[0],
            "query_median_ms": query_ms,
            "queries": len(ctx.captured_queries),
            "open_matches": matches,
            "more_matched": listing.search_capped,
            "status": response.status_code,
        }
        print(
            f"{words!r:31} {page_ms:>7.1f}ms {page_cpu[0]:>7.1f}ms {query_ms:>7.1f}ms "
            f"{len(ctx.captured_queries):>8} "
            f"{matches:>7}{'+' if listing.search_capped else ' '}"
        )

    export_url = reverse("tickets:queue_export")

    def export_all() -> tuple[int, int]:
        response = client.get(export_url, {"state": "all"})
        size = lines = 0
        for chunk in response.streaming_content:
            size += len(chunk)
            lines += chunk.count(b"\n")
        response.close()
        return size, lines

    began, began_cpu = time.perf_counter(), time.process_time()
    size, lines = export_all()
    seconds = time.perf_counter() - began
    cpu_seconds = time.process_time() - began_cpu
    tracemalloc.start()
    export_all()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    results["export"] = {
        "rows": lines - 1,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "megabytes_written": round(size / 1e6, 1),
        "peak_python_mb": round(peak / 1e6, 1),
    }
    print(
        f"\nCSV export, every request: {lines - 1:,} rows, {size / 1e6:.1f} MB in {seconds:.2f} s "
        f"({cpu_seconds:.2f} s CPU in this process); "
        f"peak Python memory while streaming {peak / 1e6:.1f} MB"
    )
    return results
