"""The public status page during an outage, and the staff reliability dashboard, in Chromium."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from incidents.models import Incident
from incidents.services import lifecycle, live_log, updates
from tests.e2e.conftest import login

pytestmark = pytest.mark.browser


@pytest.fixture
def outage(hub, other_hub, steward):
    from availability.services.maintenance import maintenance_schedule

    incident = lifecycle.incident_declare(
        by=steward,
        hubs=[hub],
        title="Users cannot start servers",
        symptom=Incident.Symptom.START_SERVERS,
        affected_users=25,
        detected_by=Incident.Detection.ALERT,
        summary="INTERNAL-SUMMARY-QX7 node pool quota",
    )
    lifecycle.incident_acknowledge(incident=incident, by=steward)
    live_log.incident_add_timeline_entry(
        incident=incident, by=steward, kind="note", body="INTERNAL-NOTE-QX7 check the quota"
    )
    updates.incident_send_update(
        incident=incident, by=steward, body="We found the cause and are rolling out a fix."
    )
    start = timezone.now() + datetime.timedelta(days=3)
    maintenance_schedule(
        by=steward,
        hubs=[other_hub],
        title="Kubernetes upgrade",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        accept_warnings=True,
    )
    return incident


def test_status_page_shows_the_outage_and_nothing_internal(new_page, outage, shot):
    page = new_page()
    page.goto("/status/")
    shot(page, "status")
    text = page.locator("main").inner_text()
    assert "Users cannot start servers" in text
    assert "We found the cause" in text
    assert "Kubernetes upgrade" in text
    assert "QX7" not in page.content()
    assert "@example.org" not in page.content()
    phone = new_page(phone=True)
    phone.goto("/status/")
    shot(phone, "status-phone")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_reliability_dashboard_draws_charts_with_tables(new_page, outage, steward, shot):
    page = new_page()
    login(page, steward.username)
    page.goto("/reliability/")
    shot(page, "reliability")
    assert page.get_by_role("heading", level=1).inner_text() == "Reliability"
    assert page.locator("svg").count() >= 3
    assert page.locator("table").count() >= 3
