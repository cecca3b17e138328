"""The rules of an incident (incidents/rules.py), one test group per check_* function, and that
the war room and the public page offer what the services allow."""

from __future__ import annotations

import pytest
import time_machine
from django.utils import timezone

from incidents import rules, selectors
from incidents.models import Incident, RoleAssignment
from incidents.services import assignments, lifecycle
from supportdesk.errors import InvalidTransition, PermissionDenied, refusal
from tests.factories import StaffFactory
from tests.incidents.conftest import review_report
from tickets.rules import meets_incident_definition

pytestmark = pytest.mark.django_db


def test_symptoms_map_to_the_request_forms_answers():
    assert rules.symptom_flags(Incident.Symptom.LOGIN) == {"cannot_log_in": True}
    assert rules.symptom_flags(Incident.Symptom.OTHER) == {}
    assert rules.symptom_of(cannot_run_code=True) == Incident.Symptom.RUN_CODE
    assert rules.symptom_of() == Incident.Symptom.OTHER
    for symptom in Incident.Symptom.values:
        flags = rules.symptom_flags(symptom)
        assert rules.symptom_of(**flags) == symptom
        assert meets_incident_definition(affected_users=2, **flags) is bool(flags)


# --- check_acknowledge ------------------------------------------------------------------------


def test_only_a_triggered_incident_is_acknowledged(declare, steward):
    incident = declare()
    rules.check_acknowledge(incident=incident)
    incident = lifecycle.incident_acknowledge(incident=incident, by=steward)
    assert refusal(rules.check_acknowledge, incident=incident) == (
        f"{incident.reference} is acknowledged; only a triggered incident can be acknowledged."
    )


# --- check_send_update ------------------------------------------------------------------------


def test_updates_come_from_the_liaison_or_commander_of_an_open_incident(declare, steward):
    incident = declare()
    colleague = StaffFactory(username="colleague")
    roles = selectors.current_roles(incident=incident)
    rules.check_send_update(incident=incident, user=steward, roles=roles)
    with pytest.raises(PermissionDenied, match="External Liaison or the Incident Commander"):
        rules.check_send_update(incident=incident, user=colleague, roles=roles)
    # Nobody holds either role: anyone on the team may send.
    rules.check_send_update(incident=incident, user=colleague, roles=selectors.CurrentRoles())
    incident.state = Incident.State.CLOSED
    with pytest.raises(InvalidTransition, match="updates are for open incidents"):
        rules.check_send_update(incident=incident, user=steward, roles=roles)


def test_the_war_room_offers_the_update_form_as_the_rule_says(client, declare, steward):
    incident = declare()
    colleague = StaffFactory(username="colleague")
    client.force_login(colleague)
    page = client.get(f"/incidents/{incident.pk}/")
    assert page.context["may_update"] is False
    assignments.incident_handoff(
        incident=incident,
        role=RoleAssignment.Role.LIAISON,
        to_user=colleague,
        by=steward,
        reason="Hand-over",
    )
    assert client.get(f"/incidents/{incident.pk}/").context["may_update"] is True


# --- check_resolve ----------------------------------------------------------------------------


def test_only_an_acknowledged_incident_resolves(declare, steward, client):
    incident = declare()
    assert refusal(rules.check_resolve, incident=incident) == (
        f"{incident.reference} is triggered; only an acknowledged incident can be resolved."
    )
    client.force_login(steward)
    assert client.get(f"/incidents/{incident.pk}/").context["can_resolve"] is False
    incident = lifecycle.incident_acknowledge(incident=incident, by=steward)
    rules.check_resolve(incident=incident)
    assert client.get(f"/incidents/{incident.pk}/").context["can_resolve"] is True


# --- check_community_confirm --------------------------------------------------------------------


def test_confirm_by_a_representative_or_the_team_once_resolved(
    resolved, acknowledged, rep, other_rep, steward
):
    rules.check_community_confirm(incident=resolved, user=rep)
    rules.check_community_confirm(incident=resolved, user=steward)
    with pytest.raises(PermissionDenied):
        rules.check_community_confirm(incident=resolved, user=other_rep)
    with pytest.raises(InvalidTransition, match="Only a resolved incident"):
        rules.check_community_confirm(incident=acknowledged, user=rep)


def test_the_public_page_offers_confirm_while_it_is_allowed_and_not_done(client, resolved, rep):
    client.force_login(rep)
    assert client.get(f"/incidents/{resolved.pk}/").context["can_confirm"] is True
    lifecycle.incident_community_confirm(incident=resolved, by=rep)
    assert client.get(f"/incidents/{resolved.pk}/").context["can_confirm"] is False


# --- check_close ------------------------------------------------------------------------------


def test_close_needs_a_reviewed_report_and_a_confirmation_or_the_deadline(
    resolved, steward, rep, client
):
    now = timezone.now()
    assert "report has been reviewed" in refusal(rules.check_close, incident=resolved, now=now)
    review_report(resolved, steward)
    assert refusal(rules.check_close, incident=resolved, now=now).startswith(
        "Waiting for the community to confirm"
    )
    rules.check_close(incident=resolved, now=resolved.auto_close_due_at)
    client.force_login(steward)
    with time_machine.travel(now, tick=False):
        page = client.get(f"/incidents/{resolved.pk}/")
    assert page.context["close_blocker"] == refusal(rules.check_close, incident=resolved, now=now)
    lifecycle.incident_community_confirm(incident=resolved, by=rep)
    resolved.refresh_from_db()
    rules.check_close(incident=resolved, now=now)
    assert client.get(f"/incidents/{resolved.pk}/").context["close_blocker"] is None
