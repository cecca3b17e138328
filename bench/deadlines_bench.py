"""Computing the stored deadlines of 100,000 requests (what a policy change or a bulk import
costs): the pure part of slo.services.refresh_request_deadlines, with one calendar."""

from __future__ import annotations

import datetime as dt
import random
import time


def run(count: int = 100_000) -> dict:
    from slo.models import SLOPolicy
    from slo.services import Policies, refresh_request_deadlines
    from supportdesk.worktime import WorkCalendar
    from tickets.models import SupportRequest

    rng = random.Random(42)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    closed = {dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(365)) for _ in range(20)}
    calendar = WorkCalendar(timezone="Europe/Berlin", closed_dates=closed)
    targets = {c: dt.timedelta(minutes=m) for c, m in SLOPolicy.DEFAULT_MINUTES.items()}
    policies = Policies(targets=targets, nudge_percent=dict.fromkeys(targets, 75))
    requests = [
        SupportRequest(
            received_at=start + dt.timedelta(minutes=rng.randrange(365 * 24 * 60)),
            status="new",
        )
        for _ in range(count)
    ]
    began = time.perf_counter()
    for support_request in requests:
        refresh_request_deadlines(support_request, calendar=calendar, policies=policies)
    elapsed = time.perf_counter() - began
    print(
        f"deadlines: {count:,} requests in {elapsed:.2f} s "
        f"({count / elapsed:,.0f} requests/s; Europe/Berlin, 20 closed dates)"
    )
    return {"requests": count, "seconds": round(elapsed, 3), "per_second": round(count / elapsed)}
