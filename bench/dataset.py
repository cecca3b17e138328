"""The bench dataset (issue "Scale and speed"): 100,000 requests over 500 communities and 30
engineers, 3 messages each, 60% open, spread over 180 days, fixed random seed. Bulk inserts, so
seeding stays under two minutes; deadlines are computed by the real engine (slo.services).

It lives in its own database (bench.database_url), never the development one, and is seeded once:
a later run with the same size reuses it."""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal

SEED = 20261121
BATCH = 5_000


def seed(*, requests: int = 100_000, communities: int = 500, engineers: int = 30) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from communities.models import Community, Hub, Membership, SupportBudget
    from rotation.models import Engineer, RotationSettings
    from slo.models import CalendarSettings
    from slo.services import calendar_for, load_policies, refresh_request_deadlines
    from tickets.models import Message, SupportRequest, TimeEntry

    if SupportRequest.objects.count() == requests and Community.objects.count() == communities:
        print(f"dataset: reusing {requests:,} requests / {communities} communities")
        return {"reused": True}

    began = time.perf_counter()
    rng = random.Random(SEED)
    now = timezone.now().replace(microsecond=0)
    password = make_password("bench")
    zones = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Tokyo", "America/Los_Angeles"]

    with transaction.atomic():
        # Reduced-capacity pausing would make every deadline depend on holidays; the bench
        # measures the plain weekday clock, which is the common case.
        config = CalendarSettings.load()
        config.pause_during_reduced_capacity = False
        config.save()
        RotationSettings.load()

        staff = User.objects.bulk_create(
            [
                User(
                    username=f"eng{i:02d}",
                    first_name=f"Engineer{i:02d}",
                    email=f"eng{i:02d}@example.org",
                    is_staff=True,
                    password=password,
                )
                for i in range(engineers)
            ]
        )
        Engineer.objects.bulk_create(
            [Engineer(user=u, country=rng.choice(["US", "DE", "GB", "BR", "NG"])) for u in staff]
        )
        User.objects.create(
            username="bench-admin", is_staff=True, is_superuser=True, password=password
        )
        comms = Community.objects.bulk_create(
            [
                Community(
                    slug=f"c{i:03d}",
                    name=f"Community {i:03d}",
                    timezone=zones[i % len(zones)],
                    kind=["research", "education", "dedicated"][i % 3],
                )
                for i in range(communities)
            ]
        )
        hubs = Hub.objects.bulk_create(
            [
                Hub(
                    community=c,
                    slug=f"hub-{c.slug}",
                    name=f"Hub {c.slug}",
                    url=f"https://{c.slug}.example.org",
                    cluster=f"cluster-{i % 12}",
                )
                for i, c in enumerate(comms)
            ]
        )
        reps = User.objects.bulk_create(
            [
                User(username=f"rep-{c.slug}", email=f"rep-{c.slug}@example.org", password=password)
                for c in comms
            ]
        )
        Membership.objects.bulk_create(
            [Membership(user=u, community=c) for u, c in zip(reps, comms, strict=True)]
        )
        month = now.date().replace(day=1)
        SupportBudget.objects.bulk_create(
            [SupportBudget(community=c, month=month, hours=Decimal("3.00")) for c in comms]
        )

    policies = load_policies()
    calendars = {zone: calendar_for(timezone_name=zone) for zone in zones}
    span = 180 * 24 * 3600
    made = 0
    while made < requests:
        size = min(BATCH, requests - made)
        rows = []
        for _ in range(size):
            i = rng.randrange(communities)
            community, hub, rep = comms[i], hubs[i], reps[i]
            received = now - dt.timedelta(seconds=rng.randrange(span))
            is_open = rng.random() < 0.6
            category = rng.choice(["change", "guidance", "guidance", "incident"])
            r = SupportRequest(
                community=community,
                hub=hub,
                requester=rep,
                subject=f"Request about {hub.name} #{made}",
                description="Users report that the environment is missing a package.",
                received_at=received,
                assignee=rng.choice(staff),
                priority_rank=rng.randrange(1, 9),
            )
            if is_open:
                state = rng.random()
                if state < 0.3:
                    r.status = "new"
                else:
                    r.status = "triaged" if state < 0.8 else "planned"
                    r.category = category
                    r.triaged_at = received + dt.timedelta(hours=rng.randrange(1, 12))
                    if rng.random() < 0.7:
                        r.first_responded_at = r.triaged_at + dt.timedelta(hours=1)
                        r.last_staff_reply_at = r.first_responded_at
            else:
                r.category = category
                r.triaged_at = received + dt.timedelta(hours=2)
                r.first_responded_at = r.last_staff_reply_at = received + dt.timedelta(hours=3)
                r.resolved_at = received + dt.timedelta(days=2)
                closed = rng.random() < 0.85
                r.status = "closed" if closed else "resolved"
                if closed:
                    r.closed_at = received + dt.timedelta(days=4)
            refresh_request_deadlines(r, calendar=calendars[community.timezone], policies=policies)
            rows.append(r)
        with transaction.atomic():
            created = SupportRequest.objects.bulk_create(rows, batch_size=1000)
            messages, entries = [], []
            for r in created:
                for k in range(3):
                    staff_reply = k % 2 == 1
                    messages.append(
                        Message(
                            request=r,
                            author=r.assignee if staff_reply else r.requester,
                            visibility="public" if k < 2 or rng.random() < 0.5 else "internal",
                            is_from_staff=staff_reply or k == 2,
                            body=f"Message {k} on this request.",
                            created_at=r.received_at + dt.timedelta(hours=k),
                        )
                    )
                if r.category in ("change", "guidance") and rng.random() < 0.3:
                    entries.append(
                        TimeEntry(
                            request=r,
                            community_id=r.community_id,
                            engineer=r.assignee,
                            minutes=rng.choice([15, 30, 45, 60]),
                            worked_at=r.received_at + dt.timedelta(hours=4),
                            budget_month=(r.received_at + dt.timedelta(hours=4))
                            .date()
                            .replace(day=1),
                            counts_against_budget=True,
                        )
                    )
            Message.objects.bulk_create(messages, batch_size=2000)
            TimeEntry.objects.bulk_create(entries, batch_size=2000)
        made += size
        print(f"dataset: {made:,}/{requests:,} requests", end="\r", flush=True)
    elapsed = time.perf_counter() - began
    print(f"dataset: seeded {requests:,} requests, {3 * requests:,} messages in {elapsed:.1f} s")
    return {"reused": False, "seconds": round(elapsed, 1)}
