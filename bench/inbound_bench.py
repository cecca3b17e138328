"""Inbound e-mail throughput: 1,000 messages through tickets.inbound.receive_email (parsed,
stored, threaded, acted on, one transaction each), as IMAP or a pipe would feed them.

The mix: 500 new requests from 50 representatives, 250 replies threaded by In-Reply-To to
those requests, 250 mails from unknown senders (unmatched, acknowledged). Prints messages per
second and the queries each message cost, per outcome: the count must not grow with the number
of messages already stored (first 100 against last 100). Everything it creates is deleted
afterwards, so runs are comparable and the 100,000-request dataset is untouched."""

from __future__ import annotations

import statistics
import time
from email.message import EmailMessage

TOTAL = 1_000
REPS = 50


def _mail(sender: str, subject: str, body: str, message_id: str, in_reply_to: str = "") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@bench.example.org"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 01 Dec 2026 10:00:00 +0000"
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
        body += "\n\nOn Tue, Dec 1, 2026 at 9:00 AM Ada <ada@example.org> wrote:\n> earlier text\n"
    msg.set_content(body)
    return bytes(msg)


def run() -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from communities.models import Community, Membership
    from notifications.models import Notification
    from tickets.inbound import receive_email
    from tickets.models import InboundEmail, SupportRequest

    settings.INBOUND_EMAIL_ADDRESS = "support@bench.example.org"
    settings.INBOUND_EMAIL_RATE_LIMIT_PER_HOUR = 10_000  # measured here: the work, not the hold
    community, _ = Community.objects.get_or_create(
        slug="bench-inbound", defaults={"name": "Bench inbound"}
    )
    reps = []
    for i in range(REPS):
        user, _ = User.objects.get_or_create(
            username=f"bench-inbound-rep-{i}",
            defaults={"email": f"rep{i}@inbound.bench.example.org"},
        )
        Membership.objects.get_or_create(user=user, community=community)
        reps.append(user)

    new_ids = [f"<bench-new-{i}@inbound.bench.example.org>" for i in range(TOTAL // 2)]
    messages: list[tuple[str, bytes]] = []
    for i, message_id in enumerate(new_ids):
        rep = reps[i % REPS]
        messages.append(
            ("new", _mail(rep.email, f"Kernel dies #{i}", "The kernel dies on import.", message_id))
        )
        if i % 2 == 1:  # a reply to the request opened two messages ago
            replied = new_ids[i - 1]
            messages.append(
                (
                    "reply",
                    _mail(
                        reps[(i - 1) % REPS].email,
                        f"Re: Kernel dies #{i - 1}",
                        "Still broken after the restart.",
                        f"<bench-reply-{i}@inbound.bench.example.org>",
                        in_reply_to=replied,
                    ),
                )
            )
            messages.append(
                (
                    "unmatched",
                    _mail(
                        f"stranger{i}@elsewhere.example.com",
                        "Can we get a hub?",
                        "Hello, we are a lab.",
                        f"<bench-stranger-{i}@elsewhere.example.com>",
                    ),
                )
            )
    assert len(messages) == TOTAL, len(messages)

    per_kind: dict[str, list[int]] = {"new": [], "reply": [], "unmatched": []}
    order: list[tuple[str, int]] = []
    began = time.perf_counter()
    try:
        for kind, raw in messages:
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as ctx:
                received = receive_email(raw, source="bench")
            expected = {"new": "new_request", "reply": "reply", "unmatched": "unmatched"}[kind]
            if received.status != expected:
                raise RuntimeError(f"{kind}: {received.status} ({received.inbound.reason})")
            per_kind[kind].append(len(ctx.captured_queries))
            order.append((kind, len(ctx.captured_queries)))
        elapsed = time.perf_counter() - began
    finally:
        InboundEmail.objects.filter(source="bench").delete()
        SupportRequest.objects.filter(community=community).delete()
        Notification.objects.filter(kind="inbound_unmatched_ack").filter(
            recipient_email__endswith="@elsewhere.example.com"
        ).delete()

    rate = TOTAL / elapsed
    each = elapsed / TOTAL * 1000
    print(f"{TOTAL} messages in {elapsed:.1f} s: {rate:.0f} messages/s ({each:.1f} ms each)")
    print(f"{'outcome':>10} {'count':>6} {'queries first 100':>18} {'queries last 100':>17}")
    results: dict = {"messages": TOTAL, "seconds": round(elapsed, 2), "per_second": round(rate, 1)}
    for kind, counts in per_kind.items():
        first = [q for k, q in order[:100] if k == kind]
        last = [q for k, q in order[-100:] if k == kind]
        line = f"{kind:>10} {len(counts):>6} {_span(first):>18} {_span(last):>17}"
        print(line)
        results[kind] = {
            "count": len(counts),
            "queries_min": min(counts),
            "queries_max": max(counts),
            "queries_median": statistics.median(counts),
            "first_100": _span(first),
            "last_100": _span(last),
        }
    return results


def _span(values: list[int]) -> str:
    if not values:
        return "-"
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"
