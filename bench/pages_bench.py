"""Server time and query count of the main pages on the 100,000-request dataset.

Measured in-process with Django's test client (middleware, views, templates and the database;
no network), median and p95 over repeated requests after a warm-up. Targets (reported, not
asserted): every page at most 15 queries whatever the data size; queue first page under 50 ms
median on PostgreSQL; submission under 30 ms."""

from __future__ import annotations

import statistics
import time

RUNS = 20
WARMUP = 3
TARGET_QUERIES = 15


def _measure(call) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP):
        call()
    times, queries, status = [], [], None
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as ctx:
            began = time.perf_counter()
            response = call()
            times.append((time.perf_counter() - began) * 1000)
        queries.append(len(ctx.captured_queries))
        status = response.status_code
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
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

    pages = {
        "queue, first page": lambda: staff_client.get(reverse("tickets:queue")),
        "queue, by community": lambda: staff_client.get(
            reverse("tickets:queue"), {"community": busy}
        ),
        "request page (staff)": lambda: staff_client.get(
            reverse("tickets:desk_request", args=[one.pk])
        ),
        "representative's list": lambda: rep_client.get(reverse("tickets:my_requests")),
        "request submission": submit,
        "budgets changelist (admin)": lambda: admin_client.get("/admin/communities/supportbudget/"),
        "GET /api/v1/requests/": lambda: staff_client.get("/api/v1/requests/"),
        "status page": lambda: anonymous.get("/status/"),
    }
    results = {}
    print(f"{'page':30} {'median':>9} {'p95':>9} {'queries':>8}  status")
    for name, call in pages.items():
        figures = _measure(call)
        results[name] = figures
        flag = "" if figures["queries"] <= TARGET_QUERIES else f"  (> {TARGET_QUERIES} queries)"
        print(
            f"{name:30} {figures['median_ms']:>7.1f}ms {figures['p95_ms']:>7.1f}ms "
            f"{figures['queries']:>8}  {figures['status']}{flag}"
        )
    return results
