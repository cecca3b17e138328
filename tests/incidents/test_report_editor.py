"""The report editor and the incident forms (issue 19): fields required for review are marked
so (the others optional), one impact window everywhere (the report's times drive the incident
and the timeline's impact lines), date-times written YYYY-MM-DD HH:MM in UTC in every form, and
the declare form's pre-ticked hub first."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from incidents.forms import DeclareForm, ReportForm
from incidents.models import TimelineEntry
from incidents.services import lifecycle, live_log, reports
from supportdesk.errors import DomainError
from supportdesk.formfields import UTCDateTimeField
from tests.factories import HubFactory

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
NOW = datetime.datetime(2026, 3, 11, 15, 0, tzinfo=UTC)  # a Wednesday afternoon


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def report(declare, steward, frozen):
    incident = declare(impact_started_at=NOW - datetime.timedelta(hours=3))
    lifecycle.incident_acknowledge(incident=incident, by=steward)
    frozen.shift(datetime.timedelta(minutes=30))
    live_log.incident_add_timeline_entry(
        incident=incident,
        by=steward,
        kind="fix",
        body="Raised the node limit.",
        is_public=True,
        link_url="https://github.com/example/infra/pull/1",
    )
    frozen.shift(datetime.timedelta(minutes=30))
    lifecycle.incident_resolve(
        incident=incident,
        by=steward,
        impact_ended_at=NOW + datetime.timedelta(minutes=45),
        verification_note="Started a server.",
    )
    return reports.report_create(incident=incident, by=steward)


def _impact_lines(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if ": impact " in line]


def test_editing_the_impact_times_in_the_report_moves_the_incident_and_the_timeline(
    report, steward
):
    start = datetime.datetime(2026, 3, 11, 10, 5, tzinfo=UTC)
    end = datetime.datetime(2026, 3, 11, 15, 50, tzinfo=UTC)
    updated = reports.report_update(
        report=report,
        by=steward,
        expected_version=report.version,
        impact_started_at=start,
        impact_ended_at=end,
    )
    assert _impact_lines(updated.timeline_markdown) == [
        "- **11 Mar 2026 10:05 UTC**: impact started (best estimate).",
        "- **11 Mar 2026 15:50 UTC**: impact ended.",
    ]
    lines = updated.timeline_markdown.splitlines()
    # Still in time order: the start first, the fix (15:30), the end (15:50), the resolution
    # (16:00), which now quotes the new end as well.
    assert lines[0].endswith("impact started (best estimate).")
    fix = next(i for i, line in enumerate(lines) if "Raised the node limit" in line)
    ended = lines.index("- **11 Mar 2026 15:50 UTC**: impact ended.")
    assert fix < ended
    assert "impact ended 11 Mar 2026 15:50 UTC" in lines[ended + 1]
    assert "15:45" not in updated.timeline_markdown
    incident = updated.incident
    incident.refresh_from_db()
    assert (incident.impact_started_at, incident.impact_ended_at) == (start, end)
    note = TimelineEntry.objects.filter(incident=incident, kind="note").latest("pk")
    assert "Impact window changed in the report" in note.body and not note.is_public


def test_the_published_report_header_and_timeline_agree(report, steward, client):
    start = datetime.datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
    report = reports.report_update(
        report=report,
        by=steward,
        expected_version=report.version,
        impact_started_at=start,
        summary="The node pool ran out.",
        analysis="A hard limit.",
    )
    reports.report_submit_for_review(report=report, by=steward)
    report = reports.report_mark_reviewed(report=report, by=steward)
    page = client.get(reverse("incidents:report_public", args=[report.pk])).text
    # Both written by supportdesk.zones.format_utc: the header says what the timeline says.
    assert "<dd>11 Mar 2026 09:00 UTC</dd>" in page  # the header
    assert "11 Mar 2026 09:00 UTC</strong>: impact started" in page  # the timeline
    assert page.count("impact started") == 1


def test_a_future_impact_time_in_the_report_is_refused(report, steward):
    with pytest.raises(DomainError, match="future"):
        reports.report_update(
            report=report,
            by=steward,
            expected_version=report.version,
            impact_started_at=NOW + datetime.timedelta(hours=5),
            impact_ended_at=NOW + datetime.timedelta(hours=6),
        )


def test_other_report_edits_leave_the_timeline_as_written(report, steward):
    text = "- my own words"
    updated = reports.report_update(
        report=report, by=steward, expected_version=report.version, timeline_markdown=text
    )
    assert updated.timeline_markdown == text


def test_the_war_rooms_impact_start_moves_a_draft_report_too(report, steward):
    at = datetime.datetime(2026, 3, 11, 11, 0, tzinfo=UTC)
    live_log.incident_set_impact_start(incident=report.incident, by=steward, at=at)
    report.refresh_from_db()
    assert report.impact_started_at == at
    assert _impact_lines(report.timeline_markdown)[0].startswith("- **11 Mar 2026 11:00 UTC**")


def test_the_editor_marks_what_review_needs_and_the_rest_optional(report, steward, client):
    form = ReportForm(report=report)
    needed = {n for n, f in form.fields.items() if getattr(f, "required_for_review", False)}
    assert needed == set(reports.REPORT_REQUIRED_FOR_REVIEW)
    client.force_login(steward)
    page = client.get(reverse("incidents:report_edit", args=[report.incident.pk])).text
    assert page.count("(required for review)") == 5 + 1  # five fields and the explanation
    assert page.count("(optional)") == 3  # the impact text, the timeline, an action's owner
    # A draft is still saved without them.
    response = client.post(
        reverse("incidents:report_edit", args=[report.incident.pk]),
        {"version": report.version, "summary": "", "analysis": "", "owner": ""},
    )
    assert response.status_code == 302


# --- date-times ------------------------------------------------------------------------------
def test_date_times_are_read_and_shown_in_utc_whatever_the_accounts_zone(settings):
    from django.utils import timezone

    field = UTCDateTimeField(label="When")
    assert field.label == "When (UTC)"
    with timezone.override("America/Los_Angeles"):
        parsed = field.clean("2026-03-13 14:30")
        assert parsed == datetime.datetime(2026, 3, 13, 14, 30, tzinfo=UTC)
        assert field.clean("2026-03-13T14:30") == parsed
        shown = field.widget.format_value(field.prepare_value(parsed))
        assert shown == "2026-03-13 14:30"
    with pytest.raises(Exception, match="YYYY-MM-DD HH:MM"):
        field.clean("03/13/2026 2:30 PM")


def test_every_date_time_input_of_the_forms_is_explicit_about_format_and_zone(
    report, steward, client
):
    client.force_login(steward)
    for url in (
        reverse("incidents:report_edit", args=[report.incident.pk]),
        reverse("incidents:declare"),
        reverse("availability:maintenance"),
    ):
        page = client.get(url).text
        assert 'type="datetime-local"' not in page, url
        assert 'placeholder="YYYY-MM-DD HH:MM"' in page, url
        assert "(UTC)" in page, url


def test_the_declare_forms_ticked_hub_comes_first(steward, community, hub, client, db):
    for name in ("Aardvark", "Abacus", "Able", "Acme", "Adder", "Aegis"):
        HubFactory(community=community, name=name)
    form = DeclareForm(initial={"hubs": [hub.pk]})
    assert next(iter(form.fields["hubs"].queryset)) == hub
    bound = DeclareForm(data={"hubs": [str(hub.pk)], "title": ""})
    assert next(iter(bound.fields["hubs"].queryset)) == hub
