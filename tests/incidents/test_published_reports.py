"""One definition of a published report, `IncidentReport.objects.published()`, used by the
archive, the report pages, the API and the incident page."""

from __future__ import annotations

import pytest

from incidents.models import IncidentReport
from tests.incidents.conftest import acknowledge, resolve, review_report, write_report


@pytest.mark.django_db
def test_only_reviewed_and_published_reports_are_published(resolved, steward, declare):
    other = resolve(acknowledge(declare(title="Another outage"), steward), steward)
    draft = write_report(other, steward, submit=False)
    reviewed = review_report(resolved, steward)
    assert reviewed.published_at is not None
    assert list(IncidentReport.objects.published()) == [reviewed]
    assert draft not in IncidentReport.objects.published()
