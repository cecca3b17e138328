"""The incident report: the pre-filled draft, the review flow, action items, and what the
public archive, the Markdown and the PDF may contain (DOMAIN.md "The incident report")."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import IncidentReport, TimelineEntry
from incidents.report import render_report_html, render_report_markdown, render_report_pdf
from incidents.services import action_items, live_log, reports, updates
from notifications.models import Notification
from supportdesk.errors import ConcurrentEdit, DomainError, InvalidTransition
from tests.incidents.conftest import acknowledge, resolve, review_report

SECRET = "INTERNAL-ONLY kubectl exec --token=hunter2"
OVERRIDE = "OVERRIDE-REASON-never-public"


@pytest.fixture
def incident_with_log(declare, steward):
    """A resolved incident whose live log has public and internal entries."""
    incident = declare(
        symptom="other", affected_users=1, override_reason=OVERRIDE, title="Kernels die"
    )
    live_log.incident_add_timeline_entry(
        incident=incident, by=steward, kind=TimelineEntry.Kind.COMMAND, body=SECRET
    )
    live_log.incident_add_timeline_entry(
        incident=incident,
        by=steward,
        kind=TimelineEntry.Kind.FIX,
        body="Raised the memory limit of the kernels",
        link_url="https://github.com/org/infra/pull/42",
        is_public=True,
    )
    incident = acknowledge(incident, steward)
    updates.incident_send_update(incident=incident, by=steward, body="Hi, a long update text")
    return resolve(incident, steward)


def test_the_draft_is_prefilled_from_the_incident_and_its_public_entries_only(
    incident_with_log, steward
):
    report = reports.report_create(incident=incident_with_log, by=steward)

    assert report.review_state == IncidentReport.Review.DRAFT
    assert report.owner == steward  # the Incident Commander
    assert report.impact_started_at == incident_with_log.impact_started_at
    assert report.impact_ended_at == incident_with_log.impact_ended_at
    assert report.summary == "a failing node pool"
    timeline = report.timeline_markdown
    assert "impact started" in timeline and "impact ended" in timeline
    assert "Raised the memory limit" in timeline and "pull/42" in timeline
    assert "Acknowledged" in timeline and "Resolved" in timeline
    assert "community update sent" in timeline and "a long update text" not in timeline
    lines = timeline.splitlines()
    assert lines[0].endswith("impact started (best estimate).")
    assert lines[-1].endswith("Started a test server on the hub.")  # time order
    assert "hunter2" not in timeline and OVERRIDE not in timeline
    with pytest.raises(DomainError, match="already has a report"):
        reports.report_create(incident=incident_with_log, by=steward)


def test_a_stale_form_cannot_overwrite_a_newer_report(resolved, steward, engineer):
    report = reports.report_create(incident=resolved, by=steward)
    loaded = report.version
    reports.report_update(
        report=report, by=engineer, expected_version=loaded, analysis="Cat's analysis"
    )

    with pytest.raises(ConcurrentEdit):
        reports.report_update(report=report, by=steward, expected_version=loaded, analysis="x")
    report.refresh_from_db()
    assert report.analysis == "Cat's analysis" and report.version == loaded + 1


def test_review_goes_draft_in_review_reviewed_and_publishes_to_the_representatives(
    resolved, steward, engineer, rep
):
    report = reports.report_create(incident=resolved, by=steward)
    with pytest.raises(InvalidTransition):
        reports.report_mark_reviewed(report=report, by=engineer)
    with pytest.raises(DomainError, match="analysis"):
        reports.report_submit_for_review(report=report, by=steward)

    report = reports.report_update(
        report=report, by=steward, expected_version=report.version, analysis="Capacity."
    )
    report = reports.report_submit_for_review(report=report, by=steward)
    assert report.review_state == IncidentReport.Review.IN_REVIEW
    report = reports.report_return_to_draft(report=report, by=engineer, reason="More detail")
    assert report.review_state == IncidentReport.Review.DRAFT
    report = reports.report_submit_for_review(report=report, by=steward)
    assert report.published_at is None

    report = reports.report_mark_reviewed(report=report, by=engineer)

    assert report.review_state == IncidentReport.Review.REVIEWED
    assert report.reviewed_by == engineer and report.published_at is not None
    mail = Notification.objects.get(kind="incident_report")
    assert mail.recipient == rep
    assert reverse("incidents:report_public", args=[report.pk]) in mail.body
    with pytest.raises(InvalidTransition):
        reports.report_update(
            report=report, by=steward, expected_version=report.version, summary="Changed"
        )


def test_action_items_need_a_follow_up_issue_and_are_tracked_to_done_after_review(
    resolved, steward, engineer
):
    report = review_report(resolved, steward)
    with pytest.raises(DomainError, match="follow-up"):
        action_items.action_item_add(
            report=report, by=steward, description="Alert", follow_up_url=""
        )

    item = action_items.action_item_add(
        report=report,
        by=steward,
        description="Alert on node pool capacity",
        follow_up_url="https://github.com/org/infra/issues/7",
        owner=engineer,
    )
    item = action_items.action_item_set_done(item=item, by=engineer, done=True)

    assert item.done and item.done_at is not None
    item = action_items.action_item_set_done(item=item, by=engineer, done=False)
    assert not item.done and item.done_at is None


def test_an_internal_entry_never_reaches_the_public_archive_the_markdown_or_the_pdf(
    client, incident_with_log, steward
):
    report = review_report(incident_with_log, steward)
    action_items.action_item_add(
        report=report,
        by=steward,
        description="Alert on kernel deaths",
        follow_up_url="https://github.com/org/infra/issues/8",
    )

    page = client.get(reverse("incidents:report_public", args=[report.pk]))
    markdown = client.get(reverse("incidents:report_markdown", args=[report.pk]))
    pdf = client.get(reverse("incidents:report_pdf", args=[report.pk]))
    archive = client.get(reverse("incidents:report_archive"))
    html_for_pdf = render_report_html(report)

    assert page.status_code == markdown.status_code == pdf.status_code == 200
    public_texts = {
        "page": page.content.decode(),
        "markdown": markdown.content.decode(),
        "pdf html": html_for_pdf,
        "archive": archive.content.decode(),
    }
    for name, text in public_texts.items():
        assert "hunter2" not in text, name
        assert OVERRIDE not in text, name
    for name in ("page", "markdown", "pdf html"):
        assert "Raised the memory limit" in public_texts[name], name
        assert "Alert on kernel deaths" in public_texts[name], name
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert markdown["Content-Type"].startswith("text/markdown")
    assert 'filename="INC-' in markdown["Content-Disposition"]


def test_only_reviewed_reports_are_in_the_archive(client, declare, steward):
    drafted = resolve(acknowledge(declare(title="Drafted"), steward), steward)
    reports.report_create(incident=drafted, by=steward)
    published = resolve(acknowledge(declare(title="Published"), steward), steward)
    review_report(published, steward)

    archive = client.get(reverse("incidents:report_archive")).content.decode()

    assert "Published" in archive and "Drafted" not in archive
    draft_pk = drafted.report.pk
    for name in ("report_public", "report_markdown", "report_pdf"):
        assert client.get(reverse(f"incidents:{name}", args=[draft_pk])).status_code == 404


def test_the_archive_costs_the_same_number_of_queries_for_many_reports(
    client, declare, steward, django_assert_max_num_queries
):
    for n in range(4):
        review_report(resolve(acknowledge(declare(title=f"I{n}"), steward), steward), steward)

    with django_assert_max_num_queries(6):
        response = client.get(reverse("incidents:report_archive"))
    assert response.status_code == 200
    assert all(f"I{n}" in response.content.decode() for n in range(4))


def test_markdown_rendering_lists_the_sections_and_action_items(resolved, steward):
    report = review_report(resolved, steward)
    action_items.action_item_add(
        report=report, by=steward, description="Raise limits", follow_up_url="https://x.org/1"
    )

    text = render_report_markdown(report)

    assert text.startswith(f"# {resolved.reference}: Servers do not start")
    for heading in ("## Summary", "## Impact", "## Timeline", "## Analysis", "## Action items"):
        assert heading in text
    assert "- [ ] Raise limits: https://x.org/1" in text


def test_report_text_is_sanitised_in_the_pdf_input(resolved, steward):
    report = reports.report_create(incident=resolved, by=steward)
    report = reports.report_update(
        report=report,
        by=steward,
        expected_version=report.version,
        analysis='<script>alert(1)</script><img src="http://evil.example/x.png">',
    )

    html = render_report_html(report)

    assert "<script>" not in html and "evil.example" not in html
    assert render_report_pdf(report, html=html).startswith(b"%PDF")


def test_impact_times_of_the_report_must_be_in_order(resolved, steward):
    report = reports.report_create(incident=resolved, by=steward)
    with pytest.raises(DomainError, match="before impact start"):
        reports.report_update(
            report=report,
            by=steward,
            expected_version=report.version,
            impact_ended_at=timezone.now() - datetime.timedelta(days=3),
        )
