"""The rules of a request (tickets/rules.py), one test group per check_* function: what each
allows and refuses, and that the page offers exactly what the service allows."""

from __future__ import annotations

import dataclasses
import datetime

import pytest

from supportdesk.errors import InvalidTransition, PermissionDenied, refusal
from tickets import rules, services
from tickets.models import SupportRequest

pytestmark = pytest.mark.django_db

Status = SupportRequest.Status


@dataclasses.dataclass
class Stub:
    """A request in the state a rule reads, without going through the lifecycle."""

    status: str = Status.TRIAGED
    category: str = SupportRequest.Category.CHANGE
    first_responded_at: datetime.datetime | None = None
    auto_close_due_at: datetime.datetime | None = None
    reference: str = "SD-1"

    def get_status_display(self) -> str:
        return dict(Status.choices)[self.status]


NOW = datetime.datetime(2026, 3, 16, 9, 0, tzinfo=datetime.UTC)


# --- refusal -----------------------------------------------------------------------------------


def test_refusal_is_the_reason_a_rule_gives_or_none():
    assert refusal(rules.check_resolve, support_request=Stub(status=Status.TRIAGED)) is None
    assert refusal(rules.check_resolve, support_request=Stub(status=Status.NEW)) == (
        "Triage SD-1 before resolving it."
    )


# --- who ---------------------------------------------------------------------------------------


def test_team_or_representative(submit, steward, rep, other_rep, outsider):
    r = submit()
    rules.check_team_or_representative(user=steward, support_request=r, action="reply")
    rules.check_team_or_representative(user=rep, support_request=r, action="reply")
    for user in (other_rep, outsider):
        with pytest.raises(PermissionDenied, match="representative can reopen"):
            rules.check_team_or_representative(user=user, support_request=r, action="reopen")


def test_requester_or_representative(submit, rep, other_rep, steward):
    r = submit()
    rules.check_requester_or_representative(user=rep, support_request=r)
    for user in (other_rep, steward):
        with pytest.raises(PermissionDenied):
            rules.check_requester_or_representative(user=user, support_request=r)


def test_is_representative_of(submit, rep, other_rep, steward):
    r = submit()
    assert rules.is_representative_of(rep, r)
    assert not rules.is_representative_of(other_rep, r)
    assert not rules.is_representative_of(steward, r)


# --- when --------------------------------------------------------------------------------------


def test_confirm_only_a_resolved_request_by_its_representative(resolved, rep, other_rep, steward):
    rules.check_confirm(user=rep, support_request=resolved)
    for user in (other_rep, steward):
        with pytest.raises(PermissionDenied):
            rules.check_confirm(user=user, support_request=resolved)
    resolved.status = Status.TRIAGED
    with pytest.raises(InvalidTransition, match="Only a resolved request"):
        rules.check_confirm(user=rep, support_request=resolved)


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        (Status.NEW, False),
        (Status.TRIAGED, True),
        (Status.PLANNED, True),
        (Status.RESOLVED, False),
        (Status.CLOSED, False),
    ],
)
def test_resolve_a_triaged_or_planned_request(status, allowed):
    assert (refusal(rules.check_resolve, support_request=Stub(status=status)) is None) is allowed


@pytest.mark.parametrize(
    ("status", "category", "allowed"),
    [
        (Status.NEW, "", False),
        (Status.TRIAGED, "change", True),
        (Status.PLANNED, "guidance", True),
        (Status.TRIAGED, "incident", False),
        (Status.RESOLVED, "change", False),
        (Status.CLOSED, "change", False),
    ],
)
def test_link_an_issue_to_a_triaged_request_that_is_no_incident(status, category, allowed):
    stub = Stub(status=status, category=category)
    assert (refusal(rules.check_link_issue, support_request=stub) is None) is allowed


@pytest.mark.parametrize(
    ("status", "answered", "reason"),
    [
        (Status.TRIAGED, True, None),
        (Status.RESOLVED, True, None),
        (Status.TRIAGED, False, "SD-1 has never been answered"),
        (Status.NEW, True, "Triage SD-1 before closing it."),
        (Status.CLOSED, True, "SD-1 is already closed."),
    ],
)
def test_close_an_answered_triaged_request(status, answered, reason):
    stub = Stub(status=status, first_responded_at=NOW if answered else None)
    said = refusal(rules.check_close, support_request=stub)
    assert said == reason if reason is None else said.startswith(reason)


@pytest.mark.parametrize(
    ("status", "due", "reason"),
    [
        (Status.RESOLVED, NOW, None),
        (Status.RESOLVED, NOW + datetime.timedelta(minutes=1), "SD-1 is not due to close yet."),
        (Status.RESOLVED, None, "SD-1 is not resolved, so it does not auto-close."),
        (Status.TRIAGED, NOW, "SD-1 is not resolved, so it does not auto-close."),
        (Status.CLOSED, NOW, "SD-1 is already closed."),
    ],
)
def test_auto_close_a_resolved_request_once_due(status, due, reason):
    stub = Stub(status=status, auto_close_due_at=due, first_responded_at=NOW)
    assert refusal(rules.check_auto_close, support_request=stub, now=NOW) == reason


def test_link_an_incident_to_any_request_not_closed():
    assert refusal(rules.check_link_incident, support_request=Stub(status=Status.NEW)) is None
    assert refusal(rules.check_link_incident, support_request=Stub(status=Status.CLOSED)) == (
        "SD-1 is closed."
    )


# --- the service asks the rule, and the page shows what the rule allows -------------------------


def test_the_service_refuses_what_the_rule_refuses(submit, steward):
    r = submit()
    with pytest.raises(InvalidTransition) as refused:
        services.request_resolve(
            support_request=r, by=steward, body="Done.", expected_version=r.version
        )
    assert refused.value.message == refusal(rules.check_resolve, support_request=r)


def test_the_desk_page_offers_resolve_and_link_issue_as_the_rules_say(client, submit, steward):
    r = submit()
    client.force_login(steward)
    page = client.get(f"/desk/requests/{r.pk}/")
    assert page.context["can_resolve"] is False
    assert page.context["can_link_issue"] is False
    services.request_triage(
        support_request=r, by=steward, category="change", expected_version=r.version
    )
    page = client.get(f"/desk/requests/{r.pk}/")
    assert page.context["can_resolve"] is True
    assert page.context["can_link_issue"] is True


def test_the_representative_page_offers_confirm_only_when_resolved(client, resolved, rep):
    client.force_login(rep)
    assert client.get(f"/requests/{resolved.pk}/").context["can_confirm"] is True
    services.request_confirm(support_request=resolved, by=rep)
    page = client.get(f"/requests/{resolved.pk}/")
    assert page.context["can_confirm"] is False
    assert b'id="confirm"' not in page.content
