"""Paging with escalation (DOMAIN.md, SLO table "incident acknowledgement" and the severity
calibration, corrected 2026-12-01), each rule at its exact minute with frozen time."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import time_machine
from django.db import IntegrityError
from django.urls import reverse

from incidents import paging
from incidents.models import EscalationPolicy, Incident, TimelineEntry
from incidents.services import lifecycle
from notifications.models import Notification
from tests.notifications.helpers import march
from tests.races import race

ROOT = Path(__file__).resolve().parents[2]
MONDAY_9 = march(9, 9)  # Ann and Ben are the stewards on duty (tests/conftest.py rotation)
SATURDAY_10 = march(14, 10)


@pytest.fixture
def alert(hub, rotation, project_manager):
    """alert(at, severity=...) -> an incident opened by monitoring (nobody declared it)."""

    def _alert(at=MONDAY_9, **overrides):
        kwargs = {
            "by": None,
            "hubs": [hub],
            "title": "Two server starts failed in a row",
            "symptom": Incident.Symptom.START_SERVERS,
            "affected_users": 2,
            "detected_by": Incident.Detection.ALERT,
            "at": at,
        }
        kwargs.update(overrides)
        with time_machine.travel(at, tick=False):
            return lifecycle.incident_declare(**kwargs)

    return _alert


def sweep(at):
    with time_machine.travel(at, tick=False):
        return paging.incident_paging_sweep(now=at)


def paged(incident, step=None) -> set[tuple[str, str]]:
    """(username, channel) of the pages of one step (or all)."""
    rows = Notification.objects.filter(incident=incident, kind="incident_page")
    if step is not None:
        rows = rows.filter(key__startswith=f"page:{incident.pk}:{step}:")
    return {(n.recipient.username if n.recipient else "#chat", n.channel) for n in rows}


def escalations(incident) -> list[str]:
    return list(
        incident.timeline.filter(kind=TimelineEntry.Kind.PAGE).values_list("body", flat=True)
    )


def test_an_alert_pages_the_on_duty_stewards_at_once_on_their_channels(alert):
    incident = alert()
    assert paged(incident) == {
        ("ann", "email"),
        ("ann", "in_app"),
        ("ben", "email"),
        ("ben", "in_app"),
    }
    assert escalations(incident) == [
        "Paged the stewards on duty (Ann Eng, Ben Eng) by e-mail, in the app only."
    ]
    page = Notification.objects.get(incident=incident, channel="email", recipient__username="ann")
    assert page.subject.startswith(f"[{incident.reference}] PAGE (Outage)")
    assert f"/incidents/{incident.pk}/ack/" in page.body  # the one-click link
    in_app = Notification.objects.get(
        incident=incident, channel="in_app", recipient__username="ann"
    )
    assert in_app.url.startswith(f"/incidents/{incident.pk}/ack/")
    incident.refresh_from_db()
    assert incident.page_steps_done == 1
    assert incident.next_page_at == MONDAY_9 + datetime.timedelta(minutes=15)


def test_a_declaring_steward_is_not_paged_about_their_own_incident(alert, steward):
    incident = alert(by=steward, detected_by=Incident.Detection.COMMUNITY)
    assert paged(incident) == {("ben", "email"), ("ben", "in_app")}


def test_escalation_at_exactly_15_and_30_working_minutes(alert):
    incident = alert()
    assert sweep(MONDAY_9 + datetime.timedelta(minutes=14, seconds=59))["notifications"] == 0
    sweep(MONDAY_9 + datetime.timedelta(minutes=15))
    # The stewards again and the engineering channel (no chat configured: every engineer).
    assert paged(incident, 1) == {(u, c) for u in ("ann", "ben") for c in ("email", "in_app")}
    assert paged(incident, 2) == {
        (u, c) for u in ("ann", "ben", "cat", "dan") for c in ("email", "in_app")
    }
    assert sweep(MONDAY_9 + datetime.timedelta(minutes=29, seconds=59))["notifications"] == 0
    sweep(MONDAY_9 + datetime.timedelta(minutes=30))
    assert paged(incident, 3) == {("pm", "email"), ("pm", "in_app")}
    assert escalations(incident)[1:] == [
        "Not acknowledged after 15 working minutes: escalated to the stewards on duty "
        "(Ann Eng, Ben Eng) by e-mail, in the app only.",
        "Not acknowledged after 15 working minutes: escalated to the engineering channel "
        "(chat, else every engineer) (Ann Eng, Ben Eng, Cat Eng, Dan Eng) by e-mail, "
        "in the app only.",
        "Not acknowledged after 30 working minutes: escalated to the project managers "
        "(Pat Manager) by e-mail, in the app only.",
    ]
    incident.refresh_from_db()
    assert incident.next_page_at is None
    assert sweep(MONDAY_9 + datetime.timedelta(hours=2))["incidents"] == 0


def test_acknowledging_stops_the_chain(alert, steward):
    incident = alert()
    with time_machine.travel(MONDAY_9 + datetime.timedelta(minutes=10), tick=False):
        lifecycle.incident_acknowledge(incident=incident, by=steward)
    assert sweep(MONDAY_9 + datetime.timedelta(minutes=15))["notifications"] == 0
    assert sweep(MONDAY_9 + datetime.timedelta(minutes=30))["notifications"] == 0
    assert Notification.objects.filter(incident=incident, kind="incident_page").count() == 4
    assert escalations(incident)[-1] == (
        "Acknowledged by Ann Eng 10 min after it opened: paging stopped."
    )


def test_a_weekend_alert_pages_at_once_and_escalates_on_monday_without_out_of_hours(alert):
    incident = alert(at=SATURDAY_10)
    assert len(paged(incident, 0)) == 4  # the page goes out at once, on a Saturday
    assert sweep(SATURDAY_10 + datetime.timedelta(minutes=15))["notifications"] == 0
    monday = march(16, 0)
    assert sweep(monday + datetime.timedelta(minutes=14, seconds=59))["notifications"] == 0
    sweep(monday + datetime.timedelta(minutes=15))
    assert paged(incident, 1) and paged(incident, 2)
    assert not paged(incident, 3)
    sweep(monday + datetime.timedelta(minutes=30))
    assert paged(incident, 3)


def test_out_of_hours_escalation_when_an_admin_turns_it_on_for_outages(alert):
    EscalationPolicy.objects.filter(severity="outage").update(escalate_out_of_hours=True)
    incident = alert(at=SATURDAY_10)
    assert sweep(SATURDAY_10 + datetime.timedelta(minutes=14))["notifications"] == 0
    sweep(SATURDAY_10 + datetime.timedelta(minutes=15))
    assert paged(incident, 1) and paged(incident, 2)
    sweep(SATURDAY_10 + datetime.timedelta(minutes=30))
    assert paged(incident, 3)


def test_a_degraded_service_escalates_in_working_time_only(alert):
    with pytest.raises(IntegrityError):
        EscalationPolicy.objects.filter(severity="degraded").update(escalate_out_of_hours=True)


def test_degraded_weekend_incident_pages_but_waits_for_monday_even_with_outages_allowed(alert):
    EscalationPolicy.objects.filter(severity="outage").update(escalate_out_of_hours=True)
    incident = alert(at=SATURDAY_10, severity=Incident.Severity.DEGRADED)
    assert len(paged(incident, 0)) == 4
    assert sweep(SATURDAY_10 + datetime.timedelta(minutes=15))["notifications"] == 0
    sweep(march(16, 0, 15))
    assert paged(incident, 1)


def test_the_escalation_policy_is_data_an_admin_edits(alert):
    policy = EscalationPolicy.objects.get(severity="outage")
    policy.steps.filter(after_minutes=15).update(after_minutes=5)
    policy.steps.filter(target="engineering").update(by_email=False)
    incident = alert()
    sweep(MONDAY_9 + datetime.timedelta(minutes=5))
    assert paged(incident, 2) == {(u, "in_app") for u in ("ann", "ben", "cat", "dan")}


def test_with_a_chat_webhook_the_engineering_channel_is_one_chat_post(alert, settings):
    settings.SLACK_WEBHOOK_URL = "https://chat.example.org/hooks/abc"
    incident = alert()
    sweep(MONDAY_9 + datetime.timedelta(minutes=15))
    assert paged(incident, 2) == {("#chat", "webhook")}
    assert ("#chat", "webhook") in paged(incident, 0)  # the page is posted too


def test_running_the_sweep_twice_pages_once(alert):
    incident = alert()
    at = MONDAY_9 + datetime.timedelta(minutes=31)
    first = sweep(at)
    assert sweep(at) == {"incidents": 0, "notifications": 0, "errors": 0}
    assert (
        first["notifications"]
        == Notification.objects.filter(
            incident=incident, kind="incident_page", key__regex=r"^page:\d+:[123]:"
        ).count()
    )
    assert len(escalations(incident)) == 4


# --- the acknowledge link ------------------------------------------------------------------------


def test_a_signed_in_click_on_the_link_acknowledges(alert, client, steward):
    incident = alert()
    client.force_login(steward)
    with time_machine.travel(MONDAY_9 + datetime.timedelta(minutes=3), tick=False):
        response = client.get(paging.ack_path(incident=incident, user=steward))
    assert response.status_code == 302 and response.url == f"/incidents/{incident.pk}/"
    incident.refresh_from_db()
    assert incident.state == "acknowledged" and incident.next_page_at is None
    again = client.get(paging.ack_path(incident=incident, user=steward), follow=True)
    assert "already acknowledged" in again.text


def test_the_link_signed_out_asks_to_sign_in_and_changes_nothing(alert, client, steward):
    incident = alert()
    path = paging.ack_path(incident=incident, user=steward)
    response = client.get(path)
    assert response.status_code == 302 and "login" in response.url
    incident.refresh_from_db()
    assert incident.state == "triggered"


def test_a_forged_or_foreign_link_is_refused(alert, client, steward, hub):
    incident = alert()
    other = alert(title="Another one")
    client.force_login(steward)
    forged = reverse("incidents:page_ack", args=[incident.pk, "forged-token"])
    foreign = paging.ack_path(incident=other, user=steward).replace(
        f"/{other.pk}/", f"/{incident.pk}/"
    )
    for path, reason in ((forged, "is not valid"), (foreign, "for another incident")):
        response = client.get(path, follow=True)
        assert response.status_code == 200 and reason in response.text
    incident.refresh_from_db()
    assert incident.state == "triggered"


def test_a_representative_cannot_acknowledge(alert, client, rep, steward):
    incident = alert()
    client.force_login(rep)
    response = client.get(paging.ack_path(incident=incident, user=steward))
    assert response.status_code == 403


# --- two beats, two workers: a real race on PostgreSQL ------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_processes_sweeping_at_once_page_each_step_exactly_once(
    postgres, hub, rotation, project_manager, tmp_path
):
    seed_policies()
    incidents = []
    for n in range(12):
        with time_machine.travel(MONDAY_9, tick=False):
            incidents.append(
                lifecycle.incident_declare(
                    by=None,
                    hubs=[hub],
                    title=f"Alert {n}",
                    symptom="start_servers",
                    affected_users=2,
                    detected_by="alert",
                    at=MONDAY_9,
                )
            )
    results = race(
        sweep="incidents.paging:incident_paging_sweep",
        now=MONDAY_9 + datetime.timedelta(minutes=30),
        var_dir=tmp_path,
    )
    assert sum(r["errors"] for r in results) == 0
    assert sum(r["incidents"] for r in results) == 12  # each incident swept by one of them
    for incident in incidents:
        assert len(escalations(incident)) == 4  # the page, 15 (x2), 30: once each
        keys = list(
            Notification.objects.filter(incident=incident, kind="incident_page").values_list(
                "key", flat=True
            )
        )
        assert len(keys) == len(set(keys))
        assert {k.split(":")[2] for k in keys} == {"0", "1", "2", "3"}


def seed_policies() -> None:
    """Transactional tests start from empty tables: put back the migration's default data."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("incidents.migrations.0002_paging_and_escalation_policies")
    migration.seed_policies(apps, None)
