"""Recompute the deadlines of open requests on the team's one reference clock.

Until now a request's clocks ran in its community's time zone (Friday 20:00 UTC: triage due
Monday 04:00 UTC for a UTC community, Saturday 04:00 UTC for a Los Angeles one). DOMAIN.md
(working time, corrected 2026-12-01) defines one continuous working week in the reference zone
for everyone; a community keeps its zone for display only, unless an admin opts it into a
calendar of its own (communities 0002, off by default).

Frozen code, as a migration must be: it reads the historical models and the pure working-time
engine, never the services (which will read fields that do not exist yet at this point). The
explanation shown beside a deadline is computed from the same calendar when a page is drawn,
so it stays true of the recomputed value. Closed requests keep their history.
"""

import datetime

from django.db import migrations

OPEN = ("new", "triaged", "planned")
BATCH = 500
DEFAULT_MINUTES = {
    "triage": 8 * 60,
    "first_response": 24 * 60,
    "auto_close": 48 * 60,
    "timebox": 30,
}


def reference_calendar(apps):
    """The non-incident calendar as slo.services built it at this point in history."""
    from supportdesk import capacity
    from supportdesk.worktime import WorkCalendar

    CalendarSettings = apps.get_model("slo", "CalendarSettings")
    ClosedDate = apps.get_model("slo", "ClosedDate")
    Engineer = apps.get_model("rotation", "Engineer")
    config = CalendarSettings.objects.first()
    zone = config.reference_timezone if config else "UTC"
    pause = config.pause_during_reduced_capacity if config else True
    share = (config.holiday_overlap_percent if config else 50) / 100
    closed = set(ClosedDate.objects.values_list("date", flat=True))
    if pause:
        today = datetime.date.today()
        countries = list(Engineer.objects.filter(is_active=True).values_list("country", flat=True))
        years = range(today.year - 2, today.year + 3)
        closed |= set(capacity.reduced_capacity_dates(years, countries, share=share))
    return WorkCalendar(timezone=zone, closed_dates=tuple(closed))


def targets(apps):
    SLOPolicy = apps.get_model("slo", "SLOPolicy")
    minutes = dict(DEFAULT_MINUTES)
    minutes.update(dict(SLOPolicy.objects.values_list("clock", "target_minutes")))
    return {clock: datetime.timedelta(minutes=m) for clock, m in minutes.items()}


def recompute(apps, schema_editor):
    from supportdesk.worktime import WorkCalendar, add_working_time

    SupportRequest = apps.get_model("tickets", "SupportRequest")
    base = reference_calendar(apps)
    incident_base = WorkCalendar(
        timezone=base.timezone,
        closed_dates=tuple(apps.get_model("slo", "ClosedDate").objects.values_list("date", flat=True)),
    )
    target = targets(apps)
    calendars = {}
    fields = [
        "triage_due_at",
        "first_response_due_at",
        "timebox_due_at",
        "auto_close_due_at",
        "response_due_at",
        "next_due_at",
    ]
    rows = (
        SupportRequest.objects.filter(status__in=(*OPEN, "resolved"))
        .select_related("community")
        .order_by("pk")
    )
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        last = batch[-1].pk
        for r in batch:
            incident = r.category == "incident"
            zone = r.community.timezone if r.community.own_calendar else base.timezone
            key = (zone, incident)
            if key not in calendars:
                source = incident_base if incident else base
                calendars[key] = WorkCalendar(timezone=zone, closed_dates=source.closed_dates)
            cal = calendars[key]
            r.triage_due_at = add_working_time(r.received_at, target["triage"], cal)
            r.first_response_due_at = add_working_time(
                r.received_at, target["first_response"], cal
            )
            r.timebox_due_at = (
                add_working_time(r.triaged_at, target["timebox"], cal) if r.triaged_at else None
            )
            r.auto_close_due_at = (
                add_working_time(r.resolved_at, target["auto_close"], cal)
                if r.status == "resolved" and r.resolved_at
                else None
            )
            waiting = None
            if r.status in OPEN:
                if r.first_responded_at is None:
                    waiting = r.received_at
                else:
                    answered = r.last_staff_reply_at or r.first_responded_at
                    if r.last_requester_reply_at and r.last_requester_reply_at > answered:
                        waiting = r.last_requester_reply_at
            r.response_due_at = (
                add_working_time(waiting, target["first_response"], cal) if waiting else None
            )
            pending = []
            if r.status == "new" and r.triaged_at is None:
                pending.append(r.triage_due_at)
            if r.response_due_at:
                pending.append(r.response_due_at)
            if r.auto_close_due_at:
                pending.append(r.auto_close_due_at)
            r.next_due_at = min(pending) if pending else None
        SupportRequest.objects.bulk_update(batch, fields)


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0002_community_own_calendar"),
        ("rotation", "0001_initial"),
        ("slo", "0002_default_policies"),
        ("tickets", "0004_sweep_reply_due_order_index"),
    ]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
