"""Incident services: the definition, the state machine, roles, the update clock, escalation,
closing and the metrics (DOMAIN.md "Lifecycle of an incident")."""

from __future__ import annotations

import datetime
from datetime import UTC

import pytest
import time_machine
from django.utils import timezone

from incidents import selectors
from incidents.models import Incident, RoleAssignment, TimelineEntry
from incidents.services import assignments, lifecycle, live_log, reports, updates
from notifications.models import Notification
from slo.services import incident_calendar, remaining_text
from supportdesk.errors import DomainError, InvalidTransition, PermissionDenied
from tests.factories import EngineerFactory, StaffFactory, SupportRequestFactory, representative
from tests.incidents.conftest import acknowledge, resolve, review_report, write_report
from tickets.models import Message, RequestEvent, SupportRequest

FRIDAY_EVENING = datetime.datetime(2026, 3, 6, 22, 30, tzinfo=UTC)  # a Friday


def kinds(incident: Incident) -> list[str]:
    return list(incident.timeline.values_list("kind", flat=True))


# --- The definition ---------------------------------------------------------------------------
def test_two_users_unable_to_start_servers_is_an_incident_commanded_by_the_declarer(
    declare, steward, hub
):
    incident = declare(affected_users=2)

    assert incident.state == Incident.State.TRIGGERED
    assert incident.definition_override_reason == ""
    assert list(incident.hubs.all()) == [hub]
    current = incident.roles.filter(ended_at__isnull=True)
    assert {(a.role, a.user) for a in current} == {
        (RoleAssignment.Role.COMMANDER, steward),
        (RoleAssignment.Role.LIAISON, steward),
    }
    declared = incident.timeline.get(kind=TimelineEntry.Kind.STATE)
    assert declared.is_public and "cannot start their servers" in declared.body
    assert incident.next_update_due_at and incident.escalation_due_at


@pytest.mark.parametrize(
    ("symptom", "users"),
    [
        (Incident.Symptom.LOGIN, 1),
        (Incident.Symptom.RUN_CODE, 0),
        (Incident.Symptom.OTHER, 50),
    ],
)
def test_declaring_outside_the_definition_needs_an_override_reason(declare, symptom, users):
    with pytest.raises(DomainError) as caught:
        declare(symptom=symptom, affected_users=users)

    assert caught.value.field == "override_reason"
    assert "definition" in caught.value.message
    assert not Incident.objects.exists()


def test_override_reason_is_recorded_internally_when_the_definition_is_not_met(declare):
    incident = declare(
        symptom=Incident.Symptom.OTHER,
        affected_users=1,
        override_reason="The only instructor cannot run the exam notebook.",
    )

    assert incident.definition_override_reason.startswith("The only instructor")
    note = incident.timeline.get(kind=TimelineEntry.Kind.NOTE)
    assert not note.is_public and "The only instructor" in note.body


def test_a_representative_cannot_declare_an_incident(declare, rep):
    with pytest.raises(PermissionDenied):
        declare(by=rep)


def test_declaring_from_a_request_links_triages_and_records_it(declare, community, hub, rep):
    support_request = SupportRequestFactory(
        community=community, hub=hub, requester=rep, cannot_start_servers=True, affected_users=9
    )

    incident = declare(from_request=support_request)

    support_request.refresh_from_db()
    assert support_request.incident == incident
    assert support_request.category == SupportRequest.Category.INCIDENT
    assert support_request.status == SupportRequest.Status.TRIAGED
    assert support_request.priority_rank == 0
    assert support_request.version == 2
    event = RequestEvent.objects.get(
        request=support_request, kind=RequestEvent.Kind.INCIDENT_DECLARED
    )
    assert incident.reference in event.detail
    with pytest.raises(DomainError, match="already linked"):
        declare(from_request=support_request)


def test_an_alert_declared_incident_has_no_commander_until_someone_acknowledges(declare, engineer):
    incident = declare(by=None, detected_by=Incident.Detection.ALERT)
    assert not incident.roles.exists()
    assert incident.declared_by is None

    incident = acknowledge(incident, engineer)

    roles = selectors.current_roles(incident=incident)
    assert roles.commander == engineer and roles.liaison == engineer


# --- The state machine ------------------------------------------------------------------------
def test_acknowledging_sends_the_canned_acknowledgement_to_the_affected_representatives(
    declare, steward, rep, other_rep
):
    incident = acknowledge(declare(), steward)

    assert incident.state == Incident.State.ACKNOWLEDGED
    assert incident.acknowledged_at is not None
    notes = Notification.objects.filter(kind="incident_ack")
    assert [n.recipient for n in notes] == [rep]  # not the other community's representative
    (note,) = notes
    assert note.key == f"incident:{incident.pk}:ack:user:{rep.pk}"
    assert note.body.startswith("Hi Ada,")
    assert "Alpha Hub" in note.body and "a failing node pool" in note.body
    assert "Incidents come before all our other work" in note.body  # the canned response


def test_the_acknowledgement_is_a_public_reply_on_the_linked_request_and_is_sent_once(
    declare, steward, community, hub, rep
):
    colleague = representative(community, username="rep_a2", first_name="Al", last_name="Rep")
    support_request = SupportRequestFactory(community=community, hub=hub, requester=rep)
    incident = declare(from_request=support_request)

    acknowledge(incident, steward)

    message = Message.objects.get(request=support_request)
    assert message.visibility == Message.Visibility.PUBLIC and message.is_from_staff
    assert message.body.startswith("Hi Ada,")
    assert message.canned_response.purpose == "incident_ack"
    support_request.refresh_from_db()
    assert support_request.first_responded_at is not None
    # The requester is e-mailed the reply on their request; the other representative gets the
    # incident e-mail; nobody gets both.
    mails = Notification.objects.filter(kind__in=["incident_ack", "request_reply"])
    assert sorted((n.recipient.username, n.kind) for n in mails) == [
        ("rep_a", "request_reply"),
        ("rep_a2", "incident_ack"),
    ]
    assert colleague.notifications.get().body.startswith("Hi Al,")


@pytest.mark.parametrize(
    ("stage", "action"),
    [
        ("acknowledged", "acknowledge"),
        ("triggered", "resolve"),
        ("resolved", "resolve"),
        ("acknowledged", "close"),
        ("triggered", "confirm"),
        ("resolved", "send_update"),
        ("triggered", "report"),
    ],
)
def test_transitions_out_of_order_are_refused(declare, steward, stage, action):
    incident = declare()
    if stage in ("acknowledged", "resolved"):
        incident = acknowledge(incident, steward)
    if stage == "resolved":
        incident = resolve(incident, steward)
    calls = {
        "acknowledge": lambda: lifecycle.incident_acknowledge(incident=incident, by=steward),
        "resolve": lambda: resolve(incident, steward),
        "close": lambda: lifecycle.incident_close(incident=incident, by=steward),
        "confirm": lambda: lifecycle.incident_community_confirm(incident=incident, by=steward),
        "send_update": lambda: updates.incident_send_update(
            incident=incident, by=steward, body="Still on it."
        ),
        "report": lambda: reports.report_create(incident=incident, by=steward),
    }
    with pytest.raises(InvalidTransition):
        calls[action]()
    incident.refresh_from_db()
    assert incident.state == stage


def test_resolving_records_impact_end_and_verification_and_tells_the_community(
    acknowledged, steward, rep
):
    with pytest.raises(DomainError, match="verified"):
        lifecycle.incident_resolve(
            incident=acknowledged,
            by=steward,
            impact_ended_at=timezone.now(),
            verification_note=" ",
        )
    with pytest.raises(DomainError, match="before impact start"):
        lifecycle.incident_resolve(
            incident=acknowledged,
            by=steward,
            impact_ended_at=acknowledged.impact_started_at - datetime.timedelta(hours=1),
            verification_note="ok",
        )

    incident = resolve(acknowledged, steward)

    assert incident.state == Incident.State.RESOLVED
    assert incident.verification_note == "Started a test server on the hub."
    assert incident.next_update_due_at is None
    assert incident.auto_close_due_at is not None
    told = Notification.objects.get(kind="incident_resolved")
    assert told.recipient == rep and "Service on Alpha Hub is back" in told.body


def test_the_community_confirms_once_and_only_its_own_representatives_can(resolved, rep, other_rep):
    with pytest.raises(PermissionDenied):
        lifecycle.incident_community_confirm(incident=resolved, by=other_rep)

    first = lifecycle.incident_community_confirm(incident=resolved, by=rep)
    again = lifecycle.incident_community_confirm(incident=resolved, by=rep)

    assert first.community_confirmed_at == again.community_confirmed_at is not None
    assert resolved.timeline.filter(body__contains="confirmed").count() == 1


# --- Roles ------------------------------------------------------------------------------------
def test_handing_off_command_keeps_the_history_and_records_who_when_and_why(
    declare, steward, engineer
):
    incident = declare()

    with time_machine.travel(timezone.now() + datetime.timedelta(hours=2), tick=False):
        assignments.incident_handoff(
            incident=incident,
            role=RoleAssignment.Role.COMMANDER,
            to_user=engineer,
            by=steward,
            reason="End of my day",
        )
        handed_at = timezone.now()

    history = list(incident.roles.filter(role=RoleAssignment.Role.COMMANDER))
    assert [(a.user, a.ended_at) for a in history] == [(steward, handed_at), (engineer, None)]
    assert history[1].assigned_by == steward and history[1].reason == "End of my day"
    roles = selectors.current_roles(incident=incident)
    # The declarer was also liaison (the default), so the liaison role follows the commander.
    assert roles.commander == engineer and roles.liaison == engineer
    entry = incident.timeline.filter(kind=TimelineEntry.Kind.HANDOFF).first()
    assert "Ann Eng → Cat Eng" in entry.body and "End of my day" in entry.body
    assert entry.occurred_at == handed_at and not entry.is_public
    assert Notification.objects.filter(kind="incident_role", recipient=engineer).exists()


def test_a_delegated_liaison_stays_when_command_changes_hands(declare, steward, rotation):
    ben, cat = rotation[1].user, rotation[2].user
    incident = declare()
    assignments.incident_handoff(
        incident=incident, role="liaison", to_user=ben, by=steward, reason="Ben knows them"
    )

    assignments.incident_handoff(
        incident=incident, role="commander", to_user=cat, by=steward, reason="Fatigue"
    )

    roles = selectors.current_roles(incident=incident)
    assert roles.commander == cat and roles.liaison == ben


def test_only_the_commander_the_holder_or_a_manager_hands_a_role_off(
    declare, steward, engineer, project_manager, rotation
):
    dan = rotation[3].user
    incident = declare()

    with pytest.raises(PermissionDenied):
        assignments.incident_handoff(
            incident=incident, role="commander", to_user=engineer, by=engineer, reason="Mine now"
        )
    with pytest.raises(DomainError, match="why"):
        assignments.incident_handoff(
            incident=incident, role="commander", to_user=engineer, by=steward, reason=""
        )
    with pytest.raises(DomainError, match="already holds"):
        assignments.incident_handoff(
            incident=incident, role="commander", to_user=steward, by=steward, reason="again"
        )

    assignments.incident_handoff(
        incident=incident, role="commander", to_user=dan, by=project_manager, reason="Ann is ill"
    )
    assert selectors.current_roles(incident=incident).commander == dan


def test_subject_matter_experts_join_once_each(declare, steward, engineer, rep):
    incident = declare()

    assignments.incident_add_sme(incident=incident, user=engineer, by=steward)

    assert selectors.current_roles(incident=incident).smes == [engineer]
    with pytest.raises(DomainError, match="already"):
        assignments.incident_add_sme(incident=incident, user=engineer, by=steward)
    with pytest.raises(DomainError):
        assignments.incident_add_sme(incident=incident, user=rep, by=steward)
    assignments.incident_remove_sme(incident=incident, user=engineer, by=steward)
    assert selectors.current_roles(incident=incident).smes == []


# --- The update clock -------------------------------------------------------------------------
def test_the_update_clock_runs_over_the_weekend_in_working_hours_and_resets_on_each_update(
    declare, steward, rep
):
    with time_machine.travel(FRIDAY_EVENING, tick=False):
        incident = declare()
        # 1.5 working hours left on Friday, the other 1.5 on Monday morning.
        assert incident.next_update_due_at == datetime.datetime(2026, 3, 9, 1, 30, tzinfo=UTC)
        assert incident.escalation_due_at == datetime.datetime(2026, 3, 6, 23, 0, tzinfo=UTC)

    with time_machine.travel(FRIDAY_EVENING + datetime.timedelta(hours=1), tick=False):
        entry = updates.incident_send_update(
            incident=incident, by=steward, body="Hi {representative_name}, still on it."
        )

    incident.refresh_from_db()
    assert incident.last_update_sent_at == FRIDAY_EVENING + datetime.timedelta(hours=1)
    # Half an hour of Friday left, then 2.5 hours on Monday.
    assert incident.next_update_due_at == datetime.datetime(2026, 3, 9, 2, 30, tzinfo=UTC)
    assert entry.kind == TimelineEntry.Kind.UPDATE and entry.is_public
    assert entry.body == "Hi everyone, still on it."
    mail = Notification.objects.get(kind="incident_update")
    assert mail.recipient == rep and mail.body == "Hi Ada, still on it."
    assert mail.key == f"incident:{incident.pk}:update:{entry.pk}:user:{rep.pk}"
    monday = datetime.datetime(2026, 3, 9, 3, 0, tzinfo=UTC)
    assert remaining_text(
        incident.next_update_due_at, calendar=incident_calendar(), now=monday
    ) == ("overdue by 30 m")


def test_the_liaisons_acknowledgement_is_the_first_update_and_starts_the_update_clock(
    declare, steward, rep
):
    # DOMAIN.md lifecycle step 6 (corrected 2026-12-01).
    monday_9 = datetime.datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    with time_machine.travel(monday_9, tick=False):
        incident = declare()
    assert incident.next_update_due_at == monday_9 + datetime.timedelta(hours=3)
    acknowledged_at = monday_9 + datetime.timedelta(minutes=40)
    with time_machine.travel(acknowledged_at, tick=False):
        lifecycle.incident_acknowledge(incident=incident, by=steward)
    incident.refresh_from_db()
    assert incident.last_update_sent_at == acknowledged_at
    assert incident.next_update_due_at == datetime.datetime(2026, 3, 9, 12, 40, tzinfo=UTC)
    note = incident.timeline.filter(kind=TimelineEntry.Kind.COMMUNICATION).last()
    assert "the first community update" in note.body
    from desk.sweeps import slo_sweep

    # Nothing is overdue at 12:00 (3 h after the declaration): the acknowledgement counted.
    assert (
        slo_sweep(now=datetime.datetime(2026, 3, 9, 12, 0, tzinfo=UTC)).counts[
            "incident_update:breach"
        ]
        == 0
    )
    assert (
        slo_sweep(now=datetime.datetime(2026, 3, 9, 12, 40, tzinfo=UTC)).counts[
            "incident_update:breach"
        ]
        >= 1
    )


def test_only_the_liaison_or_commander_sends_community_updates(declare, steward, engineer):
    incident = declare()

    with pytest.raises(PermissionDenied, match="Liaison"):
        updates.incident_send_update(incident=incident, by=engineer, body="Update")
    assignments.incident_handoff(
        incident=incident, role="liaison", to_user=engineer, by=steward, reason="Delegated"
    )
    updates.incident_send_update(incident=incident, by=engineer, body="Update")  # liaison
    updates.incident_send_update(incident=incident, by=steward, body="Update 2")  # commander
    assert incident.timeline.filter(kind=TimelineEntry.Kind.UPDATE).count() == 2


def test_update_is_posted_on_linked_requests(declare, steward, community, hub, rep):
    support_request = SupportRequestFactory(community=community, hub=hub, requester=rep)
    incident = declare(from_request=support_request)

    updates.incident_send_update(incident=incident, by=steward, body="Hi {representative_name}")

    assert Message.objects.get(request=support_request).body == "Hi Ada"


# --- Escalation -------------------------------------------------------------------------------
def test_escalating_alerts_every_engineer_and_the_project_manager_once(
    declare, steward, rotation, project_manager
):
    EngineerFactory(user=StaffFactory(username="eve"), is_active=False)
    incident = declare()

    lifecycle.incident_escalate(incident=incident, by=steward)
    lifecycle.incident_escalate(incident=incident, by=steward)

    recipients = set(
        Notification.objects.filter(kind="incident_escalated").values_list(
            "recipient__username", flat=True
        )
    )
    assert recipients == {"ann", "ben", "cat", "dan", "pm"}
    assert Notification.objects.filter(kind="incident_escalated").count() == 5
    assert kinds(incident).count(TimelineEntry.Kind.ESCALATION) == 1
    incident.refresh_from_db()
    assert incident.escalated_at is not None


# --- The live log -----------------------------------------------------------------------------
def test_timeline_entries_can_be_back_filled_and_fixes_need_their_pull_request(declare, steward):
    incident = declare()
    earlier = incident.declared_at - datetime.timedelta(hours=3)

    entry = live_log.incident_add_timeline_entry(
        incident=incident,
        by=steward,
        kind=TimelineEntry.Kind.COMMAND,
        body="kubectl get pods -n alpha",
        occurred_at=earlier,
    )

    assert incident.timeline.first() == entry and not entry.is_public
    with pytest.raises(DomainError, match="pull request"):
        live_log.incident_add_timeline_entry(
            incident=incident, by=steward, kind=TimelineEntry.Kind.FIX, body="Raised the limit"
        )
    with pytest.raises(DomainError):
        live_log.incident_add_timeline_entry(
            incident=incident, by=steward, kind=TimelineEntry.Kind.STATE, body="Closed!"
        )
    with pytest.raises(DomainError, match="future"):
        live_log.incident_add_timeline_entry(
            incident=incident,
            by=steward,
            kind=TimelineEntry.Kind.NOTE,
            body="Later",
            occurred_at=timezone.now() + datetime.timedelta(hours=1),
        )


def test_impact_start_is_back_filled_but_never_after_the_impact_ended(resolved, steward):
    earlier = resolved.impact_started_at - datetime.timedelta(hours=4)

    incident = live_log.incident_set_impact_start(incident=resolved, by=steward, at=earlier)

    assert incident.impact_started_at == earlier
    with pytest.raises(DomainError):
        live_log.incident_set_impact_start(
            incident=incident, by=steward, at=incident.impact_ended_at + datetime.timedelta(1)
        )


# --- Closing ----------------------------------------------------------------------------------
def test_closing_needs_a_reviewed_report(resolved, steward, rep):
    lifecycle.incident_community_confirm(incident=resolved, by=rep)
    with pytest.raises(InvalidTransition, match="report"):
        lifecycle.incident_close(incident=resolved, by=steward)
    write_report(resolved, steward)  # in review, not reviewed
    with pytest.raises(InvalidTransition, match="report"):
        lifecycle.incident_close(incident=resolved, by=steward)

    reports.report_mark_reviewed(report=resolved.report, by=steward)
    incident = lifecycle.incident_close(incident=resolved, by=steward)

    assert incident.state == Incident.State.CLOSED and incident.closed_at is not None
    with pytest.raises(InvalidTransition):
        live_log.incident_add_timeline_entry(incident=incident, by=steward, kind="note", body="x")


def test_without_confirmation_closing_waits_for_the_auto_close_deadline(resolved, steward):
    review_report(resolved, steward)
    with pytest.raises(InvalidTransition, match="confirm"):
        lifecycle.incident_close(incident=resolved, by=steward)

    with time_machine.travel(resolved.auto_close_due_at, tick=False):
        incident = lifecycle.incident_close(incident=resolved, by=steward)

    assert incident.state == Incident.State.CLOSED


def test_auto_close_closes_each_qualifying_incident_once(declare, steward, rep):
    confirmed = resolve(acknowledge(declare(title="A"), steward), steward)
    lifecycle.incident_community_confirm(incident=confirmed, by=rep)
    review_report(confirmed, steward)
    silent = resolve(acknowledge(declare(title="B"), steward), steward)
    review_report(silent, steward)
    unreviewed = resolve(acknowledge(declare(title="C"), steward), steward)
    lifecycle.incident_community_confirm(incident=unreviewed, by=rep)

    assert lifecycle.incident_auto_close_due() == 1
    assert lifecycle.incident_auto_close_due() == 0
    assert lifecycle.incident_auto_close_due(now=silent.auto_close_due_at) == 1

    states = dict(Incident.objects.values_list("title", "state"))
    assert states == {"A": "closed", "B": "closed", "C": "resolved"}
    assert "automatically" in confirmed.timeline.last().body


# --- Metrics ----------------------------------------------------------------------------------
def test_metrics_give_time_to_acknowledge_and_resolve_and_detection_per_hub_and_month(
    declare, steward, hub, other_hub
):
    march = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    with time_machine.travel(march, tick=False):
        first = declare(hubs=[hub, other_hub])
    with time_machine.travel(march + datetime.timedelta(minutes=10), tick=False):
        acknowledge(first, steward)
    with time_machine.travel(march + datetime.timedelta(hours=2), tick=False):
        resolve(first, steward)
    with time_machine.travel(march + datetime.timedelta(days=1), tick=False):
        alert = declare(by=None, detected_by=Incident.Detection.ALERT)
    with time_machine.travel(march + datetime.timedelta(days=1, minutes=30), tick=False):
        acknowledge(alert, steward)
    with time_machine.travel(datetime.datetime(2026, 4, 2, tzinfo=UTC), tick=False):
        declare()

    rows = selectors.incident_metrics(
        start=datetime.datetime(2026, 3, 1, tzinfo=UTC),
        end=datetime.datetime(2026, 5, 1, tzinfo=UTC),
    )

    summary = {
        (r["hub"], r["month"].month): (
            r["incidents"],
            r["by_detection"]["alert"],
            r["by_detection"]["community"],
            r["mean_time_to_acknowledge"],
            r["mean_time_to_resolve"],
        )
        for r in rows
    }
    assert summary == {
        ("Alpha Hub", 3): (2, 1, 1, datetime.timedelta(minutes=20), datetime.timedelta(hours=2)),
        ("Beta Hub", 3): (1, 0, 1, datetime.timedelta(minutes=10), datetime.timedelta(hours=2)),
        ("Alpha Hub", 4): (1, 0, 1, None, None),
    }


def test_resolving_the_incident_resolves_its_linked_request_with_one_message(
    declare, steward, community, hub, rep
):
    support_request = SupportRequestFactory(community=community, hub=hub, requester=rep)
    incident = acknowledge(declare(from_request=support_request), steward)

    resolve(incident, steward)

    support_request.refresh_from_db()
    assert support_request.status == SupportRequest.Status.RESOLVED
    assert support_request.auto_close_due_at is not None
    # One resolution e-mail to the requester, through their request; none from the incident.
    kinds = sorted(Notification.objects.filter(recipient=rep).values_list("kind", flat=True))
    assert kinds.count("request_resolved") == 1
    assert "incident_resolved" not in kinds


def test_closing_the_incident_closes_its_resolved_request(declare, steward, community, hub, rep):
    support_request = SupportRequestFactory(community=community, hub=hub, requester=rep)
    incident = resolve(acknowledge(declare(from_request=support_request), steward), steward)
    review_report(incident, steward)
    lifecycle.incident_community_confirm(incident=incident, by=rep)

    lifecycle.incident_close(incident=Incident.objects.get(pk=incident.pk), by=steward)

    support_request.refresh_from_db()
    assert support_request.status == SupportRequest.Status.CLOSED
