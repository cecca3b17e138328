"""Server time and query count of the main pages on the 100,000-request dataset, and the plans
of the queue's queries.

Measured in-process with Django's test client (middleware, views, templates and the database;
no network), median and p95 over repeated requests after a warm-up, in wall-clock time and in
this process's CPU time. The CPU figure leaves out the database server's work and, above all,
the time other programs take the cores from us: on a shared machine it is the steadier one to
compare before and after; the targets are read on the wall-clock median. Targets (reported,
never asserted) are those of issue 21, printed by bench.targets. The submissions (and the replies
to them) are deleted afterwards (and by bench.dataset before the dataset is reused), so every run
measures the same data."""

from __future__ import annotations

import statistics
import time

RUNS = 20
WARMUP = 3
TARGET_QUERIES = 15
# Issue 21, at 100,000 and 1,000,000 requests on PostgreSQL: page -> (median ms, queries).
TARGETS = {
    "queue, first page": (15, None),
    "request page (staff)": (15, 10),
    "representative's request page": (10, None),
    "request submission": (10, 10),
    "reply (staff)": (10, None),
}


def _measure(call) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP):
        call()
    times, cpu, queries, status = [], [], [], None
    for _ in range(RUNS):
        connection.queries_log.clear()  # a count over its 9,000-entry limit is wrong
        with CaptureQueriesContext(connection) as ctx:
            began, began_cpu = time.perf_counter(), time.process_time()
            response = call()
            times.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
        queries.append(len(ctx.captured_queries))
        status = response.status_code
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        "cpu_ms": round(statistics.median(cpu), 1),
        "queries": max(queries),
        "status": status,
    }


def run() -> dict:
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from communities.models import Hub
    from tickets.models import SupportRequest

    staff = User.objects.filter(engineer__isnull=False).order_by("pk").first()
    admin = User.objects.filter(is_superuser=True).first()
    busy = (
        SupportRequest.objects.filter(status__in=SupportRequest.OPEN_STATUSES)
        .values_list("community_id", flat=True)
        .first()
    )
    rep = User.objects.get(memberships__community_id=busy, memberships__role="representative")
    hub = Hub.objects.filter(community_id=busy).first()
    one = SupportRequest.objects.filter(community_id=busy).order_by("-pk").first()

    host = {"HTTP_HOST": "127.0.0.1"}
    staff_client, rep_client, admin_client = Client(**host), Client(**host), Client(**host)
    staff_client.force_login(staff)
    rep_client.force_login(rep)
    admin_client.force_login(admin)
    anonymous = Client(**host)
    counter = iter(range(10**9))

    def submit():
        n = next(counter)
        return rep_client.post(
            reverse("tickets:new"),
            {
                "hub": hub.pk,
                "subject": f"Bench submission {n}",
                "description": "Measured by make bench.",
                "affected_users": 0,
            },
        )

    # Replies go to a request of the bench's own (removed afterwards), not to the dataset.
    submit()
    replied = SupportRequest.objects.filter(subject__startswith="Bench submission").latest("pk")

    def reply():
        return staff_client.post(
            reverse("tickets:desk_reply", args=[replied.pk]),
            {"reply-body": f"Bench reply {next(counter)}: **done**, see the docs."},
        )

    pages = {
        "queue, first page": lambda: staff_client.get(reverse("tickets:queue")),
        "queue, by community": lambda: staff_client.get(
            reverse("tickets:queue"), {"community": busy}
        ),
        "queue, by rank": lambda: staff_client.get(reverse("tickets:queue"), {"sort": "rank"}),
        "queue, by last update": lambda: staff_client.get(
            reverse("tickets:queue"), {"sort": "updated"}
        ),
        "request page (staff)": lambda: staff_client.get(
            reverse("tickets:desk_request", args=[one.pk])
        ),
        "representative's request page": lambda: rep_client.get(
            reverse("tickets:detail", args=[one.pk])
        ),
        "representative's list": lambda: rep_client.get(reverse("tickets:my_requests")),
        "request submission": submit,
        "reply (staff)": reply,
        "budgets changelist (admin)": lambda: admin_client.get("/admin/communities/supportbudget/"),
        "GET /api/v1/requests/": lambda: staff_client.get("/api/v1/requests/"),
        "status page": lambda: anonymous.get("/status/"),
    }
    results = {}
    print(f"{'page':31} {'median':>9} {'p95':>9} {'cpu':>9} {'queries':>8}  status")
    try:
        for name, call in pages.items():
            figures = _measure(call)
            results[name] = figures
            flags = []
            if figures["queries"] > TARGET_QUERIES:
                flags.append(f"> {TARGET_QUERIES} queries")
            print(
                f"{name:31} {figures['median_ms']:>7.1f}ms {figures['p95_ms']:>7.1f}ms "
                f"{figures['cpu_ms']:>7.1f}ms {figures['queries']:>8}  {figures['status']}"
                + (f"  ({'; '.join(flags)})" if flags else "")
            )
    finally:
        from bench.dataset import remove_extras

        remove_extras()
    results["explain"] = _explain_queue(staff, busy)
    return results


def _explain_queue(staff, community_id: int) -> dict:
    """The plans of the queue's page and count queries, as tickets.views.queue builds them."""
    from tickets.selectors import queue_order, request_list_for

    plans = {}
    for label, filters, sort in (
        ("queue, first page", {"state": "open"}, "deadline"),
        ("queue, by community", {"state": "open", "community": community_id}, "deadline"),
        ("queue, by rank", {"state": "open"}, "rank"),
    ):
        qs = request_list_for(user=staff, filters=filters).requests
        plans[label] = {
            "page": explain(lambda qs=qs, sort=sort: list(queue_order(qs, sort)[:25])),
            "count": explain(qs.count),
        }
        for part, plan in plans[label].items():
            print(f"\nEXPLAIN {label} ({part}):")
            for line in key_lines(plan):
                print(f"  {line}")
    return plans


def explain(call) -> str:
    """The plan of the last query `call` runs, with the very SQL and parameters Django sent
    (bound parameters can change SQLite's plan). Executed on PostgreSQL (ANALYZE)."""
    from django.db import connection

    from supportdesk.queryplans import last_query

    sql, params = last_query(call)
    postgres = connection.vendor == "postgresql"
    prefix = "EXPLAIN (ANALYZE, COSTS OFF) " if postgres else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        rows = cursor.fetchall()
    return "\n".join(str(row[0] if postgres else row[-1]) for row in rows)


def key_lines(plan: str) -> list[str]:
    """What to read in a plan: scans, sorts and limits, index conditions, time."""
    keys = ("Scan", "Sort", "Limit", "Index Cond", "Filter", "Execution Time", "SEARCH", "SCAN")
    keys += ("TEMP B-TREE",)  # SQLite sorting: what the order indexes are there to avoid
    return [line.rstrip() for line in plan.splitlines() if any(k in line for k in keys)]
