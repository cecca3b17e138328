"""Periodic reminders that are not SLO clocks (beat): budget thresholds and incident follow-ups.

- Budgets: when a community's usage in its current month reaches an alert threshold
  (BudgetSettings.alert_thresholds, default 80 and 100 percent), every admin is told once per
  community, month and threshold (communities.services.budget_crossings says where usage
  stands; the notification key makes it once).
- Follow-ups, once per working day (the key holds the date): the owner of the report of each
  resolved incident whose report is not reviewed ("the product keeps nudging until each report
  is reviewed"), and the owners of action items still open after 10 working days, one e-mail
  per owner listing them. Nothing is sent on a day that is not a working day.
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from communities.models import Community
from communities.services import budget_crossings, budget_status, month_of
from incidents.models import ActionItem, Incident, IncidentReport, RoleAssignment
from notifications.services import notify
from slo.services import calendar_for
from supportdesk import worktime

logger = logging.getLogger(__name__)

ACTION_ITEM_AGE = datetime.timedelta(hours=10 * 24)  # 10 working days of working time
# 10 working days never pass in less than 12 calendar days (Monday 00:00 to the Saturday of the
# next week), a day or so less across a daylight-saving change: a safe wall-clock pre-filter.
ACTION_ITEM_MIN_WALL_AGE = datetime.timedelta(days=11)


def _admins() -> list:
    return list(User.objects.filter(is_superuser=True, is_active=True).order_by("pk"))


def budget_alerts_send(*, now: datetime.datetime | None = None) -> int:
    """Tell the admins about every alert threshold a community's usage this month has reached,
    once per (community, month, threshold). Returns how many notifications were claimed.
    Reads one status per active community (communities, not requests, set the cost)."""

    now = now or timezone.now()
    admins = None
    sent = 0
    for community in Community.objects.filter(is_active=True).order_by("pk"):
        try:
            month = month_of(now, community=community)
            crossings = budget_crossings(community=community, month=month)
            if not crossings:
                continue
            admins = _admins() if admins is None else admins
            if not admins:
                logger.warning("budget alert for %s: no active admin to tell", community)
                continue
            with transaction.atomic():
                for threshold in crossings:
                    sent += _budget_alert(community, month, threshold, admins)
        except Exception:  # one community must not stop the others
            logger.exception("budget alerts: community %s failed", community.pk)
    return sent


def _budget_alert(community, month: datetime.date, threshold: int, admins: list) -> int:
    status = budget_status(community=community, month=month)
    exhausted = threshold >= 100
    subject = (
        f"{community.name} has used its {month:%B %Y} support budget"
        if exhausted
        else f"{community.name} has used {threshold}% of its {month:%B %Y} support budget"
    )
    body = render_to_string(
        "notifications/email/budget_alert.txt",
        {"community": community, "month": month, "threshold": threshold, "status": status},
    ).strip()
    url = reverse("communities:community_budget", args=[community.slug])
    sent = 0
    for admin in admins:
        claimed = notify(
            key=f"budget:{community.pk}:{month:%Y-%m}:{threshold}:user:{admin.pk}",
            kind="budget_alert",
            subject=subject,
            body=body,
            user=admin,
            url=url,
        )
        sent += claimed is not None
    return sent


def follow_up_reminders_send(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Once per working day: remind report owners of unreviewed reports of resolved incidents,
    and owners of action items open for more than 10 working days."""
    now = now or timezone.now()
    calendar = calendar_for()
    counts = {"reports": 0, "action_items": 0}
    if not worktime.is_working_time(now, calendar):
        return counts
    day = timezone.localtime(now, calendar.zone).date().isoformat()
    counts["reports"] = _report_reminders(now=now, day=day)
    counts["action_items"] = _action_item_reminders(now=now, day=day, calendar=calendar)
    return counts


def _report_reminders(*, now: datetime.datetime, day: str) -> int:
    incidents = list(
        Incident.objects.filter(state=Incident.State.RESOLVED)
        .exclude(report__review_state=IncidentReport.Review.REVIEWED)
        .select_related("report__owner", "declared_by")
        .order_by("resolved_at", "pk")
    )
    if not incidents:
        return 0
    commanders = {
        a.incident_id: a.user
        for a in RoleAssignment.objects.filter(
            incident__in=incidents, role=RoleAssignment.Role.COMMANDER, ended_at__isnull=True
        ).select_related("user")
    }
    sent = 0
    for incident in incidents:
        report = getattr(incident, "report", None)
        owner = (report.owner if report else None) or commanders.get(incident.pk)
        owner = owner or incident.declared_by
        if owner is None or not owner.is_active:
            logger.warning("report reminder for %s: nobody owns it", incident.reference)
            continue
        state = report.get_review_state_display().lower() if report else "not started"
        claimed = notify(
            key=f"followup:report:{incident.pk}:{day}:user:{owner.pk}",
            kind="followup_report",
            subject=f"[{incident.reference}] The incident report is {state}: {incident.title}",
            body=render_to_string(
                "notifications/email/report_reminder.txt",
                {"incident": incident, "report": report, "state": state, "owner": owner},
            ).strip(),
            user=owner,
            url=reverse("incidents:report_edit", args=[incident.pk]),
            incident=incident,
        )
        sent += claimed is not None
    return sent


def _action_item_reminders(*, now: datetime.datetime, day: str, calendar) -> int:
    candidates = (
        ActionItem.objects.filter(done=False, created_at__lte=now - ACTION_ITEM_MIN_WALL_AGE)
        .select_related("owner", "report__owner", "report__incident")
        .order_by("created_at", "pk")
    )
    by_owner: dict[int, tuple] = {}
    for item in candidates:
        if worktime.working_time_between(item.created_at, now, calendar) < ACTION_ITEM_AGE:
            continue
        owner = item.owner or item.report.owner
        if owner is None or not owner.is_active:
            continue
        by_owner.setdefault(owner.pk, (owner, []))[1].append(item)
    sent = 0
    for owner, items in by_owner.values():
        for item in items:
            item.age = worktime.describe_remaining(item.created_at, now, calendar).removesuffix(
                " left"
            )
        claimed = notify(
            key=f"followup:actions:{day}:user:{owner.pk}",
            kind="followup_actions",
            subject=(
                f"{len(items)} incident action item{'s' if len(items) != 1 else ''} "
                "open for more than 10 working days"
            ),
            body=render_to_string(
                "notifications/email/action_items_reminder.txt",
                {"owner": owner, "items": items},
            ).strip(),
            user=owner,
            url=reverse("incidents:report_edit", args=[items[0].report.incident_id]),
        )
        sent += claimed is not None
    return sent
