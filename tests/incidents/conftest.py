"""Incidents built through the real services, in each state of the lifecycle. `incident` and
`acknowledged` (declared under the frozen clock) are shared: tests/conftest.py. Here `resolved`
is a resolved incident (elsewhere, a resolved request)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from incidents.models import Incident, IncidentReport
from incidents.services import lifecycle, reports


def acknowledge(incident: Incident, by) -> Incident:
    return lifecycle.incident_acknowledge(incident=incident, by=by)


def resolve(incident: Incident, by) -> Incident:
    return lifecycle.incident_resolve(
        incident=incident,
        by=by,
        impact_ended_at=timezone.now(),
        verification_note="Started a test server on the hub.",
    )


def write_report(incident: Incident, by, *, submit: bool = True) -> IncidentReport:
    report = reports.report_create(incident=incident, by=by)
    report = reports.report_update(
        report=report,
        by=by,
        expected_version=report.version,
        summary="The node pool ran out of capacity.",
        analysis="Autoscaling had a hard upper limit nobody knew about.",
    )
    if submit:
        report = reports.report_submit_for_review(report=report, by=by)
    return report


def review_report(incident: Incident, by) -> IncidentReport:
    report = write_report(incident, by)
    return reports.report_mark_reviewed(report=report, by=by)


@pytest.fixture
def resolved(acknowledged, steward):
    return resolve(acknowledged, steward)
