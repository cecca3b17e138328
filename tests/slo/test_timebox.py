"""The time-box (DOMAIN.md SLO table, corrected 2026-12-01): 30 working minutes from triage (a
request) or from the incident opening; a countdown on the pages; when it runs out the steward
is nudged once with the two actions, and an unresolved incident alerts the team and the
project manager automatically. Each rule at its exact minute."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from desk.timebox import timebox_sweep
from incidents.models import Incident, TimelineEntry
from incidents.services import lifecycle
from notifications.models import Notification
from tests.notifications.helpers import march
from tests.races import race
from tickets import services
from tickets.models import SupportRequest

ROOT = Path(__file__).resolve().parents[2]
MONDAY_9 = march(9, 9)


@pytest.fixture
def triaged_request(rep, hub, rotation):
    steward = rotation[0].user
    with time_machine.travel(MONDAY_9, tick=False):
        r = services.request_submit(
            requester=rep, hub=hub, subject="Kernel dies", description="On import of torch."
        )
        r = services.request_triage(
            support_request=r,
            by=steward,
            category="change",
            assignee=steward,
            expected_version=None,
        )
    return SupportRequest.objects.get(pk=r.pk)


def sweep(at):
    with time_machine.travel(at, tick=False):
        return timebox_sweep(now=at)


def test_triage_starts_the_30_working_minute_time_box(triaged_request):
    assert triaged_request.timebox_due_at == MONDAY_9 + datetime.timedelta(minutes=30)


def test_the_request_page_counts_down_then_offers_the_two_actions(
    triaged_request, client, rotation
):
    client.force_login(rotation[0].user)
    url = reverse("tickets:desk_request", args=[triaged_request.pk])
    with time_machine.travel(MONDAY_9 + datetime.timedelta(minutes=12, seconds=30), tick=False):
        page = client.get(url).text
    assert 'data-timebox-seconds="1050"' in page and 'data-timebox-running="1"' in page
    assert ">17:30</strong> of 30 working minutes left" in page
    with time_machine.travel(MONDAY_9 + datetime.timedelta(minutes=30), tick=False):
        page = client.get(url).text
    assert "The time-box has run out." in page
    assert 'id="timebox-issue"' in page and 'id="timebox-alert"' in page


def test_the_steward_is_nudged_once_when_the_time_box_runs_out(triaged_request, rotation):
    steward = rotation[0].user
    assert sweep(MONDAY_9 + datetime.timedelta(minutes=29, seconds=59))["requests"] == 0
    assert sweep(MONDAY_9 + datetime.timedelta(minutes=30))["requests"] == 1
    assert sweep(MONDAY_9 + datetime.timedelta(minutes=31))["requests"] == 0
    [nudge] = Notification.objects.filter(kind="timebox_expired")
    assert nudge.recipient == steward
    assert "Open an engineering issue" in nudge.body and "Alert the team" in nudge.body
    assert nudge.url.endswith("#timebox")


def test_linking_an_issue_in_time_stops_the_time_box(triaged_request, rotation):
    with time_machine.travel(MONDAY_9 + datetime.timedelta(minutes=20), tick=False):
        services.request_link_issue(
            support_request=triaged_request,
            by=rotation[0].user,
            url="https://github.com/x/y/issues/1",
        )
    assert sweep(MONDAY_9 + datetime.timedelta(minutes=30))["requests"] == 0


def test_a_friday_evening_time_box_waits_for_monday(rep, hub, rotation):
    steward = rotation[0].user
    friday = march(13, 23, 50)
    with time_machine.travel(friday, tick=False):
        r = services.request_submit(requester=rep, hub=hub, subject="S", description="D")
        r = services.request_triage(
            support_request=r,
            by=steward,
            category="change",
            assignee=steward,
            expected_version=None,
        )
    assert r.timebox_due_at == march(16, 0, 20)
    assert sweep(march(14, 12))["requests"] == 0
    assert sweep(march(16, 0, 20))["requests"] == 1


@pytest.fixture
def incident(hub, rotation, project_manager):
    with time_machine.travel(MONDAY_9, tick=False):
        return lifecycle.incident_declare(
            by=rotation[0].user,
            hubs=[hub],
            title="Servers do not start",
            symptom="start_servers",
            affected_users=5,
            detected_by="community",
            at=MONDAY_9,
        )


def test_an_unresolved_incident_alerts_the_team_and_pm_at_30_minutes(incident, rotation):
    assert sweep(MONDAY_9 + datetime.timedelta(minutes=29, seconds=59))["incidents"] == 0
    assert sweep(MONDAY_9 + datetime.timedelta(minutes=30))["incidents"] == 1
    incident.refresh_from_db()
    assert incident.escalated_at == MONDAY_9 + datetime.timedelta(minutes=30)
    alerted = set(
        Notification.objects.filter(kind="incident_escalated").values_list(
            "recipient__username", flat=True
        )
    )
    assert alerted == {"ann", "ben", "cat", "dan", "pm"}
    assert incident.timeline.filter(
        kind=TimelineEntry.Kind.ESCALATION, body__contains="automatically (time-box over)"
    ).exists()
    [nudge] = Notification.objects.filter(kind="timebox_expired")
    assert nudge.recipient == rotation[0].user  # the commander
    assert sweep(MONDAY_9 + datetime.timedelta(minutes=45))["incidents"] == 0


def test_a_resolved_incident_alerts_nobody(incident, rotation):
    with time_machine.travel(MONDAY_9 + datetime.timedelta(minutes=20), tick=False):
        lifecycle.incident_acknowledge(incident=incident, by=rotation[0].user)
        lifecycle.incident_resolve(
            incident=incident,
            by=rotation[0].user,
            impact_ended_at=MONDAY_9 + datetime.timedelta(minutes=15),
            verification_note="Started a server.",
        )
    assert sweep(MONDAY_9 + datetime.timedelta(minutes=30))["incidents"] == 0
    assert not Notification.objects.filter(kind="incident_escalated").exists()


def test_the_war_room_counts_down(incident, client, rotation):
    client.force_login(rotation[0].user)
    with time_machine.travel(MONDAY_9 + datetime.timedelta(minutes=5), tick=False):
        page = client.get(reverse("incidents:detail", args=[incident.pk])).text
    assert 'data-timebox-seconds="1500"' in page and ">25:00</strong>" in page


# --- two processes on PostgreSQL -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_processes_expire_each_time_box_once(
    postgres, rep, hub, rotation, project_manager, tmp_path
):
    steward = rotation[0].user
    with time_machine.travel(MONDAY_9, tick=False):
        requests = []
        for n in range(10):
            r = services.request_submit(requester=rep, hub=hub, subject=f"S{n}", description="D")
            requests.append(
                services.request_triage(
                    support_request=r,
                    by=steward,
                    category="change",
                    assignee=steward,
                    expected_version=None,
                )
            )
        incidents = [
            lifecycle.incident_declare(
                by=steward,
                hubs=[hub],
                title=f"Incident {n}",
                symptom="start_servers",
                affected_users=5,
                detected_by="community",
                at=MONDAY_9,
            )
            for n in range(4)
        ]
    results = race(
        sweep="desk.timebox:timebox_sweep",
        now=MONDAY_9 + datetime.timedelta(minutes=31),
        var_dir=tmp_path,
    )
    assert sum(r["errors"] for r in results) == 0
    assert sum(r["requests"] for r in results) == 10
    assert sum(r["incidents"] for r in results) == 4
    assert Notification.objects.filter(kind="timebox_expired", request__isnull=False).count() == 10
    for incident in incidents:
        assert (
            incident.timeline.filter(
                kind=TimelineEntry.Kind.ESCALATION, body__contains="time-box over"
            ).count()
            == 1
        )
        assert (
            Notification.objects.filter(kind="incident_escalated", incident=incident).count() == 5
        )
    assert Incident.objects.filter(escalated_at__isnull=True).count() == 0
