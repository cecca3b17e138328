"""The default beat schedule, stored in the database (django-celery-beat) so admins can see and
change it in Django admin ("Periodic tasks"). Seeded by the migration
notifications/0003_beat_schedule; `install_default_schedule()` adds missing entries and never
touches entries an admin already has (matched by name or task), so it is safe to run again.
Other apps seed their own tasks (availability/ does); this covers the nudges and automation.

Every task here is idempotent and safe to run twice at once; the every-minute sweeps expire
after 50 s so a backlog after an outage runs once, not once per missed minute."""

from __future__ import annotations

import json

from django.apps import apps as live_apps
from django.db.models import Q
from django.utils import timezone

# name: (task, schedule, options). A schedule is ("every", n, period) or ("crontab", fields).
DEFAULT_SCHEDULE: dict[str, tuple[str, tuple, dict]] = {
    "SLO sweep: triage, response and incident-update nudges": (
        "slo.sweep",
        ("every", 1, "minutes"),
        {"expire_seconds": 50},
    ),
    "Incident paging: escalate unacknowledged incidents": (
        "incidents.paging",
        ("every", 1, "minutes"),
        {"expire_seconds": 50},
    ),
    "Deliver pending notifications (retries, broker outages)": (
        "notifications.deliver_pending",
        ("every", 1, "minutes"),
        {"expire_seconds": 50},
    ),
    "Auto-close resolved requests (48 working hours without reply)": (
        "tickets.auto_close_due",
        ("every", 5, "minutes"),
        {"expire_seconds": 280},
    ),
    "Auto-close resolved incidents (confirmed or 48 working hours, report reviewed)": (
        "incidents.auto_close_due",
        ("every", 5, "minutes"),
        {"expire_seconds": 280},
    ),
    "Rotation hand-over digest and on-duty post": (
        "rotation.handover",
        ("crontab", {"minute": "5"}),
        {"expire_seconds": 3000},
    ),
    "Budget alerts to admins (80% and 100%)": (
        "communities.budget_alerts",
        ("every", 10, "minutes"),
        {"expire_seconds": 580},
    ),
    "Budget rows for the new month": (
        "communities.budget_ensure_month",
        ("crontab", {"minute": "2"}),
        {"expire_seconds": 3000},
    ),
    "Priority ranks for the new budget month": (
        "tickets.priority_recompute",
        ("crontab", {"minute": "12"}),
        {"expire_seconds": 3000},
    ),
    "Database statistics for the planner (SQLite; nothing to do on PostgreSQL)": (
        "supportdesk.database_optimize",
        ("crontab", {"minute": "17", "hour": "3"}),
        {"expire_seconds": 3000},
    ),
    "Forget idempotency keys older than 24 hours": (
        "supportdesk.idempotency_sweep",
        ("crontab", {"minute": "41"}),
        {"expire_seconds": 3000},
    ),
    "Incident follow-ups: unreviewed reports, old action items (once per working day)": (
        "incidents.follow_ups",
        ("crontab", {"minute": "30"}),
        {"expire_seconds": 3000},
    ),
}


def install_default_schedule(apps=None) -> int:
    """Create the missing default periodic tasks. `apps` is the migration state's registry (in
    a migration) or None (the live models). Returns how many tasks were created."""
    if apps is None:
        apps = live_apps
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")

    created = 0
    for name, (task, schedule, options) in DEFAULT_SCHEDULE.items():
        # Another app's migration (or an admin) may already schedule the task: never twice.
        if PeriodicTask.objects.filter(Q(name=name) | Q(task=task)).exists():
            continue
        fields = {"interval": None, "crontab": None}
        if schedule[0] == "every":
            _, every, period = schedule
            fields["interval"], _ = IntervalSchedule.objects.get_or_create(
                every=every, period=period
            )
        else:
            cron = {
                "minute": "*",
                "hour": "*",
                "day_of_week": "*",
                "day_of_month": "*",
                "month_of_year": "*",
                **schedule[1],
            }
            fields["crontab"] = CrontabSchedule.objects.filter(timezone="UTC", **cron).order_by(
                "pk"
            ).first() or CrontabSchedule.objects.create(timezone="UTC", **cron)
        PeriodicTask.objects.create(
            name=name,
            task=task,
            args=json.dumps([]),
            kwargs=json.dumps({}),
            enabled=True,
            description=f"Default from supportdesk ({task}).",
            **fields,
            **options,
        )
        created += 1
    if created:
        # A running beat (DatabaseScheduler) re-reads the schedule when this stamp changes.
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})
    return created


def remove_default_schedule(apps=None) -> None:
    if apps is None:
        apps = live_apps
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=list(DEFAULT_SCHEDULE)).delete()
