"""The response clock starts at the representative's EARLIEST unanswered message (DOMAIN.md,
corrected 2026-12-01), not the last one: a representative who writes again before an answer
never pushes the deadline later.

Backfill: for each open request whose representative is waiting after the first response, the
earliest public message of theirs after the team's last public reply; its response deadline is
recomputed from it on the calendar migration 0005 uses. Frozen code (historical models).
"""

import importlib

from django.db import migrations, models

BATCH = 500


def backfill(apps, schema_editor):
    from supportdesk.worktime import WorkCalendar, add_working_time

    previous = importlib.import_module(
        "tickets.migrations.0005_recompute_deadlines_on_the_reference_clock"
    )
    SupportRequest = apps.get_model("tickets", "SupportRequest")
    Message = apps.get_model("tickets", "Message")
    base = previous.reference_calendar(apps)
    closed = tuple(apps.get_model("slo", "ClosedDate").objects.values_list("date", flat=True))
    target = previous.targets(apps)["first_response"]
    calendars = {}
    rows = (
        SupportRequest.objects.filter(
            status__in=previous.OPEN,
            first_responded_at__isnull=False,
            last_requester_reply_at__isnull=False,
        )
        .select_related("community")
        .order_by("pk")
    )
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        last = batch[-1].pk
        changed = []
        for r in batch:
            answered = r.last_staff_reply_at or r.first_responded_at
            if r.last_requester_reply_at <= answered:
                continue
            earliest = (
                Message.objects.filter(
                    request_id=r.pk,
                    visibility="public",
                    is_from_staff=False,
                    created_at__gt=answered,
                )
                .order_by("created_at")
                .values_list("created_at", flat=True)
                .first()
            )
            r.unanswered_since = earliest or r.last_requester_reply_at
            incident = r.category == "incident"
            zone = r.community.timezone if r.community.own_calendar else base.timezone
            key = (zone, incident)
            if key not in calendars:
                dates = closed if incident else base.closed_dates
                calendars[key] = WorkCalendar(timezone=zone, closed_dates=dates)
            r.response_due_at = add_working_time(r.unanswered_since, target, calendars[key])
            pending = [r.response_due_at]
            if r.status == "new" and r.triaged_at is None and r.triage_due_at:
                pending.append(r.triage_due_at)
            if r.auto_close_due_at:
                pending.append(r.auto_close_due_at)
            r.next_due_at = min(pending)
            changed.append(r)
        SupportRequest.objects.bulk_update(
            changed, ["unanswered_since", "response_due_at", "next_due_at"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0005_recompute_deadlines_on_the_reference_clock"),
    ]

    operations = [
        migrations.AddField(
            model_name="supportrequest",
            name="unanswered_since",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
