"""The incident report (DOMAIN.md "The incident report"): drafted once the incident is
resolved, edited with the impact window kept equal to the incident's, reviewed, then published
in the public archive and sent to the representatives. Any staff member may write and review a
report (the owner included).

The report's timeline is pre-filled from PUBLIC timeline entries only (see `report_create`).
Internal entries are shown beside the editor for reference, never copied, so an internal entry
can reach the public archive only if an author deliberately types it in."""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from accounts.models import User
from accounts.roles import check_staff, is_staff_member
from incidents import messages
from incidents.models import Incident, IncidentReport, TimelineEntry
from incidents.selectors import current_roles
from incidents.services.common import (
    _entry,
    _lock_incident,
    _lock_report,
    _save_incident,
    report_public_url,
)
from incidents.services.updates import (
    _greeting_name,
    _personalise,
    _post_to_linked_requests,
    _tell_representatives,
)
from supportdesk.errors import ConcurrentEdit, DomainError, InvalidTransition
from supportdesk.events import emit as emit_event
from supportdesk.zones import format_utc

State = Incident.State
Kind = TimelineEntry.Kind
Review = IncidentReport.Review

# What a report needs before review (the editor marks these fields as required; a draft may
# be saved without them). The others (impact text, timeline) are optional.
REPORT_REQUIRED_FOR_REVIEW = {
    "owner": "owner",
    "summary": "summary",
    "analysis": "analysis",
    "impact_started_at": "impact start",
    "impact_ended_at": "impact end",
}
REPORT_FIELDS = (
    "owner",
    "summary",
    "impact",
    "impact_started_at",
    "impact_ended_at",
    "timeline_markdown",
    "analysis",
)


def _timeline_markdown(incident: Incident) -> str:
    """The report's timeline pre-fill, in time order: impact start and end, and the PUBLIC
    entries only."""
    lines = [(incident.impact_started_at, 0, "impact started (best estimate).")]
    for entry in incident.timeline.filter(is_public=True):
        if entry.kind == Kind.UPDATE:
            # The full text went to the community already; the timeline only marks when.
            lines.append((entry.occurred_at, 1, "community update sent."))
            continue
        text = " ".join(entry.body.split())
        if len(text) > 400:
            text = text[:400].rstrip() + "…"
        link = f" ([link]({entry.link_url}))" if entry.link_url else ""
        lines.append((entry.occurred_at, 1, f"({entry.get_kind_display()}) {text}{link}"))
    if incident.impact_ended_at:
        lines.append((incident.impact_ended_at, 2, "impact ended."))
    lines.sort(key=lambda line: (line[0], line[1]))
    return "\n".join(f"- **{format_utc(at)}**: {text}" for at, _, text in lines)


@transaction.atomic
def report_create(*, incident: Incident, by: User) -> IncidentReport:
    """A draft report, pre-filled from the incident. Its timeline section is built from the
    public timeline entries only; internal entries stay internal (the editor shows them beside
    the draft for reference)."""
    check_staff(by, gettext_noop("write incident reports"))
    incident = _lock_incident(incident)
    if incident.state not in (State.RESOLVED, State.CLOSED):
        raise InvalidTransition(gettext("Write the report once the incident is resolved."))
    if IncidentReport.objects.filter(incident=incident).exists():
        raise DomainError(
            gettext("%(reference)s already has a report.") % {"reference": incident.reference}
        )
    owner = current_roles(incident=incident).commander or by
    report = IncidentReport.objects.create(
        incident=incident,
        owner=owner,
        summary=incident.summary,
        impact=messages.report_impact(incident),
        impact_started_at=incident.impact_started_at,
        impact_ended_at=incident.impact_ended_at,
        timeline_markdown=_timeline_markdown(incident),
    )
    _entry(incident, kind=Kind.NOTE, author=by, body=messages.report_drafted(owner=owner))
    return report


@transaction.atomic
def report_update(
    *, report: IncidentReport, by: User, expected_version: int, **fields
) -> IncidentReport:
    check_staff(by, gettext_noop("edit incident reports"))
    unknown = set(fields) - set(REPORT_FIELDS)
    if unknown:
        raise DomainError(
            gettext("Unknown report fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    report = _lock_report(report)
    if report.version != expected_version:
        raise ConcurrentEdit(
            gettext(
                "Somebody else changed this report since you opened it. Reload to see their "
                "changes."
            )
        )
    if report.review_state == Review.REVIEWED:
        raise InvalidTransition(
            gettext("A reviewed report is published and can no longer be edited.")
        )
    owner = fields.get("owner", report.owner)
    if owner is not None and not is_staff_member(owner):
        raise DomainError(
            gettext("The owner of the review is a member of the team."), field="owner"
        )
    start = fields.get("impact_started_at", report.impact_started_at)
    end = fields.get("impact_ended_at", report.impact_ended_at)
    if start and end and end < start:
        raise DomainError(gettext("Impact end is before impact start."), field="impact_ended_at")
    window_changed = (start, end) != (report.impact_started_at, report.impact_ended_at)
    for name, value in fields.items():
        setattr(report, name, value.strip() if isinstance(value, str) else value)
    changed = [*fields]
    if window_changed:
        _impact_window_from_report(report, by=by)
        changed.append("timeline_markdown")
    report.version += 1
    report.save(update_fields=sorted({*changed, "version", "updated_at"}))
    return report


# One impact window everywhere: the report's impact start and end are the incident's, and the
# report's timeline has one "impact started" and one "impact ended" line at those times.
_IMPACT_LINE = re.compile(r"^- \*\*[^*]+\*\*: impact (started \(best estimate\)|ended)\.$")
_DATED_LINE = re.compile(r"^- \*\*(\d{2} \w{3} \d{4} \d{2}:\d{2}) UTC\*\*:")


def _with_impact_lines(
    markdown: str, start: datetime.datetime | None, end: datetime.datetime | None
) -> str:
    """The timeline Markdown with its impact lines replaced by lines at `start` and `end`, each
    placed in time order among the dated lines (other lines are left as they are)."""
    lines = [line for line in markdown.splitlines() if not _IMPACT_LINE.match(line.strip())]

    def dated(line: str) -> datetime.datetime | None:
        match = _DATED_LINE.match(line.strip())
        if not match:
            return None
        try:
            return datetime.datetime.strptime(match.group(1), "%d %b %Y %H:%M").replace(
                tzinfo=datetime.UTC
            )
        except ValueError:
            return None

    for at, text, before_equal in (
        (start, "impact started (best estimate).", True),
        (end, "impact ended.", False),
    ):
        if at is None:
            continue
        minute = at.astimezone(datetime.UTC).replace(second=0, microsecond=0)
        times = [dated(line) for line in lines]
        position = next(
            (
                i
                for i, t in enumerate(times)
                if t is not None and (t > minute or (before_equal and t == minute))
            ),
            None,
        )
        if position is None:
            last = [i for i, t in enumerate(times) if t is not None]
            position = last[-1] + 1 if last else len(lines)
        lines.insert(position, f"- **{format_utc(at)}**: {text}")
    return "\n".join(lines)


def _impact_window_from_report(report: IncidentReport, *, by) -> None:
    """The report's impact times changed: the incident takes them (a note in its timeline says
    from what) and the report's timeline lines follow. The caller saves the report."""
    incident = _lock_incident(report.incident)
    now = timezone.now()
    changes, fields = [], []
    for name, label in (("impact_started_at", "start"), ("impact_ended_at", "end")):
        new = getattr(report, name)
        old = getattr(incident, name)
        if new is None or new == old:
            continue
        if new > now:
            raise DomainError(
                gettext("Impact start cannot be in the future.")
                if name == "impact_started_at"
                else gettext("Impact end cannot be in the future."),
                field=name,
            )
        changes.append(f"{label} {format_utc(old) if old else 'unknown'} → {format_utc(new)}")
        setattr(incident, name, new)
        fields.append(name)
        if old is not None:
            # Entries that quoted the old time ("Resolved: ..., impact ended <time>") too.
            verb = "started" if label == "start" else "ended"
            report.timeline_markdown = report.timeline_markdown.replace(
                f"impact {verb} {format_utc(old)}", f"impact {verb} {format_utc(new)}"
            )
    report.timeline_markdown = _with_impact_lines(
        report.timeline_markdown, report.impact_started_at, report.impact_ended_at
    )
    if fields:
        _save_incident(incident, *fields)
        _entry(
            incident,
            kind=Kind.NOTE,
            author=by,
            body=messages.impact_window_changed(by=by, changes=changes),
        )


@transaction.atomic
def report_submit_for_review(*, report: IncidentReport, by: User) -> IncidentReport:
    check_staff(by, gettext_noop("submit incident reports"))
    report = _lock_report(report)
    if report.review_state != Review.DRAFT:
        raise InvalidTransition(gettext("Only a draft can be submitted for review."))
    missing = [
        label
        for name, label in REPORT_REQUIRED_FOR_REVIEW.items()
        if not (
            getattr(report, name).strip()
            if isinstance(getattr(report, name), str)
            else getattr(report, name)
        )
    ]
    if missing:
        raise DomainError(
            gettext("Before review, fill in: %(fields)s.") % {"fields": ", ".join(missing)}
        )
    report.review_state = Review.IN_REVIEW
    report.version += 1
    report.save(update_fields=["review_state", "version", "updated_at"])
    _entry(report.incident, kind=Kind.NOTE, author=by, body=messages.REPORT_SUBMITTED)
    return report


@transaction.atomic
def report_return_to_draft(*, report: IncidentReport, by: User, reason: str = "") -> IncidentReport:
    check_staff(by, gettext_noop("review incident reports"))
    report = _lock_report(report)
    if report.review_state != Review.IN_REVIEW:
        raise InvalidTransition(gettext("Only a report in review can go back to draft."))
    report.review_state = Review.DRAFT
    report.version += 1
    report.save(update_fields=["review_state", "version", "updated_at"])
    _entry(report.incident, kind=Kind.NOTE, author=by, body=messages.report_returned(reason=reason))
    return report


@transaction.atomic
def report_mark_reviewed(*, report: IncidentReport, by: User) -> IncidentReport:
    """in review -> reviewed: published in the public archive and e-mailed to the
    representatives. Any staff member may review (the owner included)."""
    check_staff(by, gettext_noop("review incident reports"))
    report = _lock_report(report)
    if report.review_state != Review.IN_REVIEW:
        raise InvalidTransition(gettext("Only a report in review can be marked reviewed."))
    now = timezone.now()
    report.review_state = Review.REVIEWED
    report.reviewed_by = by
    report.reviewed_at = now
    report.published_at = now
    report.version += 1
    report.save(
        update_fields=[
            "review_state",
            "reviewed_by",
            "reviewed_at",
            "published_at",
            "version",
            "updated_at",
        ]
    )
    incident = report.incident
    link = report_public_url(report)
    # The reply on linked requests is one text for everybody on them: the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        text = messages.report_published_body(incident, link=link)
    via_requests = _post_to_linked_requests(incident, by=by, body=text)
    _tell_representatives(
        incident,
        key=f"incident:{incident.pk}:report:{report.pk}:user:{{uid}}",
        kind="incident_report",
        subject_for=lambda: messages.report_published_subject(incident),
        body_for=lambda m: _personalise(
            messages.report_published_body(incident, link=link), _greeting_name(m.user)
        ),
        url=link,
        skip_user_ids=via_requests,
    )
    _entry(
        incident,
        kind=Kind.NOTE,
        author=by,
        at=now,
        body=messages.report_reviewed(by=by),
    )
    emit_event("report_published", report=report, url=link)
    return report
