"""Reduced capacity: excused, not paused (DOMAIN.md, corrected 2026-12-01).

Clocks keep running through reduced-capacity periods; a deadline missed in or because of one
is excused. Pausing stays an admin setting, now off by default (slo 0003). The old default was
"pause", which nobody chose, so the existing setting is switched off too (an admin who wants
the pause turns it back on), the open deadlines are recomputed without it, and each open
request's excused flags are set. Frozen code: historical models and the pure engines only.
"""

import datetime
import importlib

from django.db import migrations, models


def switch_pause_off_and_recompute(apps, schema_editor):
    from supportdesk import capacity
    from supportdesk.worktime import WorkCalendar

    apps.get_model("slo", "CalendarSettings").objects.update(pause_during_reduced_capacity=False)
    reference = importlib.import_module(
        "tickets.migrations.0005_recompute_deadlines_on_the_reference_clock"
    )
    answered = importlib.import_module("tickets.migrations.0006_request_unanswered_since")
    reference.recompute(apps, schema_editor)
    answered.backfill(apps, schema_editor)

    config = apps.get_model("slo", "CalendarSettings").objects.first()
    share = (config.holiday_overlap_percent if config else 50) / 100
    countries = list(
        apps.get_model("rotation", "Engineer")
        .objects.filter(is_active=True)
        .values_list("country", flat=True)
    )
    today = datetime.date.today()
    reduced = frozenset(
        capacity.reduced_capacity_dates(range(today.year - 2, today.year + 3), countries, share)
    )
    base = reference.reference_calendar(apps)
    SupportRequest = apps.get_model("tickets", "SupportRequest")
    zones = {}

    def excused(start, due, zone):
        if start is None or due is None:
            return False
        first = start.astimezone(zone).date()
        last = due.astimezone(zone).date()
        return any(first + datetime.timedelta(days=n) in reduced for n in range((last - first).days + 1))

    rows = SupportRequest.objects.filter(status__in=(*reference.OPEN, "resolved")).select_related(
        "community"
    )
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last).order_by("pk")[: reference.BATCH])
        if not batch:
            return
        last = batch[-1].pk
        for r in batch:
            name = r.community.timezone if r.community.own_calendar else base.timezone
            zone = zones.setdefault(name, WorkCalendar(timezone=name).zone)
            waiting = r.received_at if r.first_responded_at is None else r.unanswered_since
            r.triage_excused = excused(r.received_at, r.triage_due_at, zone)
            r.first_response_excused = excused(r.received_at, r.first_response_due_at, zone)
            r.response_excused = excused(waiting, r.response_due_at, zone)
        SupportRequest.objects.bulk_update(
            batch, ["triage_excused", "first_response_excused", "response_excused"]
        )


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0006_request_unanswered_since'),
        ('slo', '0003_reduced_capacity_pause_off_by_default'),
    ]

    operations = [
        migrations.AddField(
            model_name='supportrequest',
            name='first_response_excused',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='supportrequest',
            name='response_excused',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='supportrequest',
            name='triage_excused',
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(switch_pause_off_and_recompute, migrations.RunPython.noop),
    ]
