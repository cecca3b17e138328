"""Every service of tickets/services.py and every rule of DOMAIN.md's request lifecycle."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from communities.models import Community
from notifications.models import Notification
from supportdesk.errors import ConcurrentEdit, DomainError, InvalidTransition, PermissionDenied
from tests.factories import HubFactory, IncidentFactory, SupportBudgetFactory, representative
from tests.tickets.conftest import FRIDAY_EVENING, MONDAY_MORNING, at
from tickets import rules, services
from tickets.models import CannedResponse, Message, RequestEvent, SupportRequest, TimeEntry

pytestmark = pytest.mark.django_db

Status = SupportRequest.Status
Kind = RequestEvent.Kind


def kinds(r: SupportRequest) -> list[str]:
    return list(r.events.order_by("created_at", "pk").values_list("kind", flat=True))


# --- the incident definition -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("users", "symptoms", "expected"),
    [
        (2, {"cannot_log_in": True}, True),
        (2, {"cannot_start_servers": True}, True),
        (5, {"cannot_run_code": True}, True),
        (3, {"cannot_use_dask": True}, True),
        (1, {"cannot_log_in": True}, False),  # one user is not an incident
        (0, {"cannot_run_code": True}, False),
        (50, {}, False),  # many users but none blocked
    ],
)
def test_incident_definition_needs_two_users_and_a_symptom(users, symptoms, expected):
    assert rules.meets_incident_definition(affected_users=users, **symptoms) is expected


# --- submitting --------------------------------------------------------------------------------


def test_request_received_friday_evening_is_due_monday_morning(submit, community, hub):
    r = submit()
    assert r.community == community and r.hub == hub and r.status == Status.NEW
    assert r.received_at == FRIDAY_EVENING
    # 4 working hours on Friday, the weekend does not count, 4 more on Monday.
    assert r.triage_due_at == MONDAY_MORNING
    assert r.first_response_due_at == at(16, 20)
    assert r.response_due_at == at(16, 20)
    assert r.next_due_at == MONDAY_MORNING


def test_submitted_request_is_assigned_to_a_steward_on_duty(submit, rotation):
    r = submit()
    assert r.assignee in {rotation[0].user, rotation[1].user}  # Ann and Ben are on duty
    assert kinds(r) == [Kind.RECEIVED, Kind.ASSIGNED]
    received = r.events.get(kind=Kind.RECEIVED)
    assert received.actor == r.requester


def test_answers_meeting_the_definition_flag_a_likely_incident(submit):
    likely = submit(cannot_start_servers=True, affected_users=12)
    single = submit(cannot_start_servers=True, affected_users=1)
    assert likely.likely_incident and not single.likely_incident


def test_submit_acknowledges_by_email_with_reference_and_next_steps(submit, rep, mail):
    with mail.capture():
        r = submit()
    assert mail.subjects() == [f"[SD-{r.pk}] We received your request: Kernel dies on import"]
    email = mail.outbox[0]
    assert email.to == [rep.email]
    assert "8 working hours" in email.body and "one working day" in email.body
    assert "Mon 16 Mar 2026, 04:00" in email.body
    assert f"/requests/{r.pk}/" in email.body


def test_hub_must_belong_to_the_representatives_community(submit, other_hub):
    with pytest.raises(DomainError) as error:
        submit(hub=other_hub)
    assert error.value.field == "hub"


def test_only_a_representative_can_submit(submit, steward, outsider):
    for user in (steward, outsider):
        with pytest.raises(PermissionDenied):
            submit(requester=user)


@pytest.mark.parametrize(
    ("field", "value"), [("subject", "  "), ("description", ""), ("affected_users", -1)]
)
def test_submit_refuses_empty_text_and_negative_counts(submit, field, value):
    with pytest.raises(DomainError) as error:
        submit(**{field: value})
    assert error.value.field == field


# --- triage ------------------------------------------------------------------------------------


def test_triage_categorises_and_stops_the_triage_clock(submit, steward, clock):
    r = submit()
    clock.move_to(at(16, 2))
    r = services.request_triage(
        support_request=r, by=steward, category="guidance", expected_version=r.version
    )
    assert (r.status, r.category, r.triaged_at, r.version) == (
        Status.TRIAGED,
        "guidance",
        at(16, 2),
        2,
    )
    # The triage deadline is met; the first response is what the queue waits for now.
    assert r.next_due_at == r.first_response_due_at == at(16, 20)
    assert r.timebox_due_at == at(16, 2, 30)
    event = r.events.get(kind=Kind.TRIAGED)
    assert event.actor == steward and event.data["category"] == ["", "guidance"]


def test_triage_can_reassign_and_move_to_another_hub_of_the_community(submit, steward, engineer):
    r = submit()
    second = HubFactory(community=r.community, name="Alpha Two")
    r = services.request_triage(
        support_request=r,
        by=steward,
        category="change",
        hub=second,
        assignee=engineer,
        expected_version=r.version,
    )
    assert r.hub == second and r.assignee == engineer
    assert r.events.filter(kind=Kind.ASSIGNED, actor=steward).exists()


def test_triage_refuses_a_hub_of_another_community(submit, steward, other_hub):
    r = submit()
    with pytest.raises(DomainError):
        services.request_triage(
            support_request=r, by=steward, category="change", hub=other_hub, expected_version=1
        )


def test_triage_needs_a_category(submit, steward):
    r = submit()
    with pytest.raises(DomainError):
        services.request_triage(support_request=r, by=steward, category="", expected_version=1)


def test_representative_cannot_triage(submit, rep):
    r = submit()
    with pytest.raises(PermissionDenied):
        services.request_triage(support_request=r, by=rep, category="change", expected_version=1)


def test_triage_with_a_stale_version_is_refused_and_changes_nothing(triaged, steward):
    with pytest.raises(ConcurrentEdit):
        services.request_triage(
            support_request=triaged, by=steward, category="guidance", expected_version=1
        )
    triaged.refresh_from_db()
    assert triaged.category == "change"


def test_no_category_change_after_close(answered, steward):
    r = services.request_close(support_request=answered, by=steward)
    with pytest.raises(InvalidTransition):
        services.request_triage(
            support_request=r, by=steward, category="guidance", expected_version=r.version
        )


# --- replies -----------------------------------------------------------------------------------


def test_first_staff_reply_answers_and_emails_the_representative(triaged, steward, rep, mail):
    with mail.capture():
        message = services.request_reply(
            support_request=triaged, by=steward, body="We are on it.", link_url="https://x.org/log"
        )
    r = SupportRequest.objects.get(pk=triaged.pk)
    assert message.visibility == Message.Visibility.PUBLIC and message.is_from_staff
    assert r.first_responded_at == r.last_staff_reply_at == FRIDAY_EVENING
    assert r.response_due_at is None and r.next_due_at is None
    assert mail.subjects() == [f"[SD-{r.pk}] Kernel dies on import"]
    assert mail.outbox[0].to == [rep.email]
    assert "We are on it." in mail.outbox[0].body and "https://x.org/log" in mail.outbox[0].body


def test_second_staff_reply_keeps_the_first_response_time(answered, steward, clock):
    clock.move_to(at(16, 9))
    services.request_reply(support_request=answered, by=steward, body="More news.")
    answered.refresh_from_db()
    assert answered.first_responded_at == FRIDAY_EVENING
    assert answered.last_staff_reply_at == at(16, 9)


def test_representative_reply_restarts_the_response_clock(answered, rep, steward, clock, mail):
    clock.move_to(at(17, 10))
    with mail.capture():
        services.request_reply(support_request=answered, by=rep, body="Still broken for me.")
    r = SupportRequest.objects.get(pk=answered.pk)
    assert r.last_requester_reply_at == at(17, 10)
    assert r.response_due_at == r.next_due_at == at(18, 10)
    assert mail.outbox == []  # the representative is not e-mailed their own words
    assert Notification.objects.filter(kind="request_requester_replied").exists()
    clock.move_to(at(17, 12))
    services.request_reply(support_request=r, by=steward, body="Understood.")
    r.refresh_from_db()
    assert r.response_due_at is None


def test_chasing_before_an_answer_never_pushes_the_response_deadline(answered, rep, steward, clock):
    # DOMAIN.md: the earliest unanswered representative message starts the response clock.
    clock.move_to(at(17, 9))  # Tuesday 09:00
    services.request_reply(support_request=answered, by=rep, body="Still broken for me.")
    clock.move_to(at(17, 15))  # Tuesday 15:00, no answer yet
    r = SupportRequest.objects.get(pk=answered.pk)
    services.request_reply(support_request=r, by=rep, body="Any news?")
    r.refresh_from_db()
    assert r.unanswered_since == at(17, 9)
    assert r.response_due_at == r.next_due_at == at(18, 9)  # Wednesday 09:00, not 15:00
    from desk.sweeps import slo_sweep

    assert slo_sweep(now=at(18, 8, 59)).counts["response:breach"] == 0
    assert slo_sweep(now=at(18, 9)).counts["response:breach"] >= 1
    # An answer stops the clock; the next message starts a new one from itself.
    clock.move_to(at(18, 10))
    services.request_reply(support_request=r, by=steward, body="Working on it.")
    clock.move_to(at(18, 11))
    r.refresh_from_db()
    services.request_reply(support_request=r, by=rep, body="Thanks, one more thing.")
    r.refresh_from_db()
    assert r.unanswered_since == at(18, 11)
    assert r.response_due_at == at(19, 11)


def test_reply_to_a_resolved_request_reopens_it(resolved, rep, clock):
    assert resolved.auto_close_due_at is not None
    clock.move_to(at(16, 9))
    services.request_reply(support_request=resolved, by=rep, body="It broke again.")
    r = SupportRequest.objects.get(pk=resolved.pk)
    assert r.status == Status.TRIAGED
    assert r.resolved_at is None and r.auto_close_due_at is None
    assert r.response_due_at == at(17, 9)
    assert kinds(r)[-2:] == [Kind.REQUESTER_REPLIED, Kind.REOPENED]


def test_staff_reply_to_a_resolved_request_does_not_reopen_it(resolved, steward):
    services.request_reply(support_request=resolved, by=steward, body="One more detail.")
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED


def test_other_communitys_representative_cannot_reply(triaged, other_rep, outsider):
    for user in (other_rep, outsider):
        with pytest.raises(PermissionDenied):
            services.request_reply(support_request=triaged, by=user, body="Hello")


def test_no_reply_on_a_closed_request(answered, steward, rep):
    """The team cannot write on a closed request; the representative's reply goes to a new
    request (the follow-up tests below)."""
    r = services.request_close(support_request=answered, by=steward)
    with pytest.raises(InvalidTransition):
        services.request_reply(support_request=r, by=steward, body="Hello?")
    follow_up = services.request_reply(support_request=r, by=rep, body="Hello?")
    assert isinstance(follow_up, SupportRequest) and follow_up.follow_up_of_id == r.pk
    assert not r.messages.filter(body="Hello?").exists()


def test_a_representatives_reply_to_a_closed_request_opens_a_linked_follow_up(
    answered, steward, rep, mail
):
    from tickets.attachments import IncomingFile

    closed = services.request_close(support_request=answered, by=steward)
    with mail.capture():
        follow_up = services.request_reply(
            support_request=closed,
            by=rep,
            body="It broke again after the upgrade.",
            attachments=[IncomingFile("kernel.log", b"Traceback\n")],
        )
    assert isinstance(follow_up, SupportRequest) and follow_up.pk != closed.pk
    assert follow_up.follow_up_of == closed and follow_up.status == Status.NEW
    assert (follow_up.community, follow_up.hub, follow_up.subject) == (
        closed.community,
        closed.hub,
        closed.subject,
    )
    assert follow_up.requester == rep and follow_up.channel == "web"
    assert follow_up.description == "It broke again after the upgrade."
    assert [a.filename for a in follow_up.attachments.all()] == ["kernel.log"]
    received = follow_up.events.get(kind=RequestEvent.Kind.RECEIVED)
    assert f"follows up the closed {closed.reference}" in received.detail
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED and not closed.messages.filter(is_from_staff=False)
    ack = [m for m in mail.outbox if follow_up.reference in m.subject]
    assert len(ack) == 1 and f"It follows up {closed.reference}, which was closed." in ack[0].body


def test_only_the_communitys_representative_follows_up_and_staff_cannot_reply_when_closed(
    answered, steward, other_rep, outsider
):
    closed = services.request_close(support_request=answered, by=steward)
    for user in (other_rep, outsider):
        with pytest.raises(PermissionDenied):
            services.request_reply(support_request=closed, by=user, body="Me too")
    with pytest.raises(InvalidTransition, match="opens a follow-up"):
        services.request_reply(support_request=closed, by=steward, body="Anything else?")
    assert not SupportRequest.objects.filter(follow_up_of=closed).exists()


def test_respond_on_a_resolved_request_is_a_reply_that_reopens_it(resolved, rep):
    message = services.request_reply(support_request=resolved, by=rep, body="Still broken")
    assert isinstance(message, Message) and message.request_id == resolved.pk
    resolved.refresh_from_db()
    assert resolved.status == Status.TRIAGED
    assert not SupportRequest.objects.filter(follow_up_of=resolved).exists()


def test_reply_refuses_a_javascript_link(triaged, rep):
    with pytest.raises(DomainError) as error:
        services.request_reply(
            support_request=triaged, by=rep, body="See", link_url="javascript:alert(1)"
        )
    assert error.value.field == "link_url"


def test_staff_reply_with_a_stale_version_is_refused(triaged, steward):
    with pytest.raises(ConcurrentEdit):
        services.request_reply(support_request=triaged, by=steward, body="Hi", expected_version=1)
    assert not triaged.messages.exists()


# --- internal notes ----------------------------------------------------------------------------


def test_internal_note_is_staff_only_and_does_not_bump_the_version(triaged, steward, rep):
    note = services.request_add_note(
        support_request=triaged, by=steward, body="Check the node pool."
    )
    assert note.visibility == Message.Visibility.INTERNAL
    triaged.refresh_from_db()
    assert triaged.version == 2 and triaged.first_responded_at is None
    with pytest.raises(PermissionDenied):
        services.request_add_note(support_request=triaged, by=rep, body="Me too")


# --- time and budget ---------------------------------------------------------------------------


def test_time_draws_on_the_budget_of_the_month_in_the_communitys_zone(triaged, steward):
    Community.objects.filter(pk=triaged.community_id).update(timezone="Pacific/Auckland")
    entry = services.request_log_time(
        support_request=triaged, by=steward, minutes=45, worked_at=at(12, 9)
    )
    # 28 February 20:00 UTC is already 1 March in Auckland: March's budget.
    late_february = datetime.datetime(2026, 2, 28, 20, 0, tzinfo=datetime.UTC)
    early = services.request_log_time(
        support_request=triaged, by=steward, minutes=30, worked_at=late_february
    )
    assert entry.budget_month == early.budget_month == datetime.date(2026, 3, 1)
    assert entry.counts_against_budget and entry.community_id == triaged.community_id
    assert triaged.events.filter(kind=Kind.TIME_LOGGED, actor=steward).count() == 2


def test_incident_time_never_counts_against_the_budget(submit, steward):
    r = submit(cannot_log_in=True, affected_users=30)
    r = services.request_triage(
        support_request=r, by=steward, category="incident", expected_version=1
    )
    entry = services.request_log_time(support_request=r, by=steward, minutes=120)
    assert entry.counts_against_budget is False
    assert r.priority_rank == 0


def test_time_logged_before_declaring_an_incident_leaves_the_budget(triaged, steward):
    services.request_log_time(support_request=triaged, by=steward, minutes=60)
    services.request_triage(
        support_request=triaged, by=steward, category="incident", expected_version=triaged.version
    )
    assert not TimeEntry.objects.filter(counts_against_budget=True).exists()


def test_exhausting_the_budget_drops_the_communitys_requests_to_the_bottom(
    triaged, submit, steward, community
):
    SupportBudgetFactory(community=community, month=datetime.date(2026, 3, 1), hours=Decimal(1))
    other = submit(subject="Another")
    services.request_log_time(support_request=triaged, by=steward, minutes=90)
    triaged.refresh_from_db()
    other.refresh_from_db()
    assert triaged.priority_rank == other.priority_rank == 8


@pytest.mark.parametrize("minutes", [0, -5, 24 * 60 + 1])
def test_time_entries_are_between_a_minute_and_a_day(triaged, steward, minutes):
    with pytest.raises(DomainError):
        services.request_log_time(support_request=triaged, by=steward, minutes=minutes)


def test_time_cannot_be_logged_in_the_future(triaged, steward):
    with pytest.raises(DomainError):
        services.request_log_time(
            support_request=triaged, by=steward, minutes=5, worked_at=at(20, 10)
        )


# --- engineering issue -------------------------------------------------------------------------


def test_linking_an_issue_plans_the_work_and_sends_the_not_an_outage_response(
    triaged, steward, mail
):
    url = "https://github.com/org/infra/issues/42"
    with mail.capture():
        r = services.request_link_issue(
            support_request=triaged, by=steward, url=url, expected_version=triaged.version
        )
    assert r.status == Status.PLANNED and r.engineering_issue_url == url
    message = r.messages.get()
    assert message.canned_response.purpose == CannedResponse.Purpose.NOT_AN_OUTAGE
    assert url in message.body and "Hi Ada" in message.body and "{" not in message.body
    assert r.first_responded_at == FRIDAY_EVENING
    assert mail.subjects() == [f"[SD-{r.pk}] Kernel dies on import"]
    assert {Kind.ISSUE_LINKED, Kind.REPLIED} <= set(kinds(r))


def test_linking_an_issue_without_the_canned_response(triaged, steward):
    r = services.request_link_issue(
        support_request=triaged, by=steward, url="https://x.org/1", send_canned=False
    )
    assert r.status == Status.PLANNED and not r.messages.exists()


def test_an_untriaged_request_cannot_enter_work_planning(submit, steward):
    r = submit()
    with pytest.raises(InvalidTransition):
        services.request_link_issue(support_request=r, by=steward, url="https://x.org/1")


# --- priority ----------------------------------------------------------------------------------


def test_priority_factors_set_the_rank(triaged, steward):
    r = services.request_set_priority(
        support_request=triaged,
        by=steward,
        impacts_many_communities=True,
        aligns_with_team_goals=True,
        expected_version=triaged.version,
    )
    assert r.priority_rank == 2
    r = services.request_set_priority(
        support_request=r, by=steward, has_dedicated_funding=True, expected_version=r.version
    )
    assert r.priority_rank == 1 and r.impacts_many_communities  # None keeps a factor
    event = r.events.filter(kind=Kind.PRIORITY).last()
    assert event.data["rank"] == [2, 1] and event.actor == steward


def test_priority_with_a_stale_version_is_refused(triaged, steward):
    with pytest.raises(ConcurrentEdit):
        services.request_set_priority(
            support_request=triaged, by=steward, has_dedicated_funding=True, expected_version=1
        )


# --- resolving and closing ---------------------------------------------------------------------


def test_resolving_an_unanswered_request_needs_a_resolution_message(triaged, steward):
    with pytest.raises(DomainError) as error:
        services.request_resolve(
            support_request=triaged, by=steward, body=" ", expected_version=triaged.version
        )
    assert error.value.field == "body"


def test_resolution_message_answers_and_starts_the_auto_close_clock(triaged, steward, mail):
    with mail.capture():
        r = services.request_resolve(
            support_request=triaged, by=steward, body="Fixed.", expected_version=triaged.version
        )
    assert r.status == Status.RESOLVED and r.resolved_at == FRIDAY_EVENING
    assert r.first_responded_at == FRIDAY_EVENING
    # 4 h on Friday, 24 h on Monday, 20 h on Tuesday: 48 working hours.
    assert r.auto_close_due_at == r.next_due_at == at(17, 20)
    assert mail.subjects() == [f"[SD-{r.pk}] Resolved: Kernel dies on import"]
    assert "Fixed." in mail.outbox[0].body


def test_blank_resolution_after_an_answer_sends_the_canned_resolution(answered, steward):
    r = services.request_resolve(
        support_request=answered, by=steward, body="", expected_version=answered.version
    )
    message = r.messages.order_by("pk").last()
    assert message.canned_response.purpose == CannedResponse.Purpose.RESOLUTION
    assert f"SD-{r.pk}" in message.body


def test_new_requests_cannot_be_resolved_before_triage(submit, steward):
    r = submit()
    with pytest.raises(InvalidTransition):
        services.request_resolve(support_request=r, by=steward, body="Done", expected_version=1)


def test_representative_confirms_a_resolution_and_the_request_closes(resolved, rep):
    r = services.request_confirm(support_request=resolved, by=rep)
    assert r.status == Status.CLOSED and r.closed_at is not None
    assert r.next_due_at is None
    assert r.events.filter(kind=Kind.CONFIRMED, actor=rep).exists()


def test_only_the_communitys_representative_confirms(resolved, other_rep, steward):
    for user in (other_rep, steward):
        with pytest.raises(PermissionDenied):
            services.request_confirm(support_request=resolved, by=user)


def test_confirming_an_open_request_is_refused(answered, rep):
    with pytest.raises(InvalidTransition):
        services.request_confirm(support_request=answered, by=rep)


def test_no_closing_a_request_that_was_never_answered(triaged, steward):
    with pytest.raises(InvalidTransition, match="never been answered"):
        services.request_close(support_request=triaged, by=steward)


def test_steward_closes_an_answered_request(answered, steward):
    r = services.request_close(
        support_request=answered, by=steward, expected_version=answered.version
    )
    assert r.status == Status.CLOSED and r.resolved_at == r.closed_at
    assert r.events.filter(kind=Kind.CLOSED, actor=steward).exists()
    with pytest.raises(InvalidTransition):
        services.request_close(support_request=r, by=steward)


def test_representative_cannot_close(answered, rep):
    with pytest.raises(PermissionDenied):
        services.request_close(support_request=answered, by=rep)


# --- auto-close --------------------------------------------------------------------------------


def test_auto_close_after_48_working_hours_over_a_weekend(submit, steward, clock, mail):
    clock.move_to(at(12, 10))  # Thursday
    r = submit()
    r = services.request_triage(
        support_request=r, by=steward, category="change", expected_version=1
    )
    clock.move_to(at(12, 12))
    r = services.request_resolve(
        support_request=r, by=steward, body="Done.", expected_version=r.version
    )
    # Thursday 12 h + Friday 24 h + Monday 12 h: the weekend does not count.
    assert r.auto_close_due_at == at(16, 12)

    clock.move_to(at(16, 11, 59))
    assert services.request_auto_close_due() == 0

    clock.move_to(at(16, 12))
    with mail.capture():
        assert services.request_auto_close_due() == 1
    r.refresh_from_db()
    assert r.status == Status.CLOSED and r.closed_at == at(16, 12)
    assert kinds(r)[-1] == Kind.AUTO_CLOSED
    assert r.events.get(kind=Kind.AUTO_CLOSED).actor is None
    closing = mail.outbox[-1]
    assert closing.subject == f"[SD-{r.pk}] Closed: Kernel dies on import"
    assert r.messages.filter(canned_response__purpose="closing").exists()


def test_auto_close_is_idempotent(resolved, clock, mail):
    clock.move_to(at(25, 12))
    with mail.capture():
        first = services.request_auto_close_due()
        second = services.request_auto_close_due()
    assert (first, second) == (1, 0)
    assert Notification.objects.filter(key=f"request:{resolved.pk}:closed").count() == 1
    assert [s for s in mail.subjects() if "Closed" in s] == [
        f"[SD-{resolved.pk}] Closed: Kernel dies on import"
    ]


def test_auto_close_respects_the_limit(submit, steward, clock):
    for _ in range(3):
        r = submit()
        r = services.request_triage(
            support_request=r, by=steward, category="change", expected_version=r.version
        )
        services.request_resolve(
            support_request=r, by=steward, body="ok", expected_version=r.version
        )
    clock.move_to(at(25, 12))
    assert services.request_auto_close_due(limit=2) == 2
    assert services.request_auto_close_due(limit=2) == 1


def test_a_request_not_yet_due_does_not_auto_close(resolved):
    with pytest.raises(InvalidTransition):
        services.request_auto_close(support_request=resolved)


# --- incidents ---------------------------------------------------------------------------------


def test_linking_an_incident_makes_it_an_incident_request(triaged, steward):
    services.request_log_time(support_request=triaged, by=steward, minutes=30)
    incident = IncidentFactory()
    r = services.request_link_incident(support_request=triaged, incident=incident, by=steward)
    assert (r.category, r.incident, r.priority_rank) == ("incident", incident, 0)
    assert not TimeEntry.objects.filter(counts_against_budget=True).exists()
    assert r.events.filter(kind=Kind.INCIDENT_DECLARED, actor=steward).exists()


# --- canned responses --------------------------------------------------------------------------


def test_canned_response_fills_known_placeholders_and_leaves_the_rest(triaged, steward):
    canned = CannedResponse.objects.create(
        slug="t",
        purpose="other",
        title="t",
        body="Hi {representative_name}: {reference} on {hub} of {community}. {unknown} "
        "{context} {0.__class__} — {steward_name}",
    )
    text = services.canned_response_render(canned=canned, support_request=triaged, by=steward)
    assert text == (
        f"Hi Ada: SD-{triaged.pk} on Alpha Hub of Alpha Research. {{unknown}} "
        "{context} {0.__class__} — Ann Eng"
    )


def test_placeholders_inside_user_text_are_not_expanded(submit, steward):
    r = submit(subject="Broken {steward_name} {reference}")
    canned = CannedResponse.objects.get(slug="closing-notice")
    text = services.canned_response_render(canned=canned, support_request=r, by=steward)
    assert "Broken {steward_name} {reference}" in text


def test_every_action_records_who_and_when(resolved, steward, rep):
    events = list(resolved.events.order_by("pk"))
    assert all(e.created_at is not None for e in events)
    actors = {e.kind: e.actor for e in events}
    assert actors[Kind.RECEIVED] == rep
    assert actors[Kind.TRIAGED] == actors[Kind.REPLIED] == actors[Kind.RESOLVED] == steward


def test_rep_of_another_community_is_not_the_representative(submit, other_community):
    outsider_rep = representative(other_community, username="rep_c")
    r = submit()
    with pytest.raises(PermissionDenied):
        services.request_confirm(support_request=r, by=outsider_rep)


def test_staff_reopen_keeps_the_response_clock_stopped(steward, rep, hub, rotation, clock):
    r = services.request_submit(requester=rep, hub=hub, subject="S", description="D")
    r = services.request_triage(
        support_request=r, by=steward, category="change", expected_version=r.version
    )
    services.request_reply(support_request=r, by=steward, body="On it.")
    r.refresh_from_db()
    r = services.request_resolve(
        support_request=r, by=steward, body="Done.", expected_version=r.version
    )
    r = services.request_reopen(support_request=r, by=steward, reason="Found a regression")
    assert r.status == "triaged"
    assert r.resolved_at is None and r.auto_close_due_at is None
    assert r.response_due_at is None  # the team reopened it: nobody is waiting on us


def test_a_closed_request_cannot_be_reopened(steward, rep, hub, rotation, clock):
    r = services.request_submit(requester=rep, hub=hub, subject="S", description="D")
    r = services.request_triage(
        support_request=r, by=steward, category="change", expected_version=r.version
    )
    services.request_reply(support_request=r, by=steward, body="On it.")
    r.refresh_from_db()
    r = services.request_resolve(
        support_request=r, by=steward, body="Done.", expected_version=r.version
    )
    r = services.request_confirm(support_request=r, by=rep)
    with pytest.raises(InvalidTransition):
        services.request_reopen(support_request=r, by=rep)


def test_migration_backfills_the_earliest_unanswered_message(answered, rep, clock):
    import importlib

    from django.apps import apps

    clock.move_to(at(17, 9))
    services.request_reply(support_request=answered, by=rep, body="Still broken for me.")
    clock.move_to(at(17, 15))
    services.request_reply(
        support_request=SupportRequest.objects.get(pk=answered.pk), by=rep, body="?"
    )
    # As the old code left it: no marker, the deadline counted from the last message.
    SupportRequest.objects.filter(pk=answered.pk).update(
        unanswered_since=None, response_due_at=at(18, 15), next_due_at=at(18, 15)
    )
    importlib.import_module("tickets.migrations.0006_request_unanswered_since").backfill(apps, None)
    r = SupportRequest.objects.get(pk=answered.pk)
    assert r.unanswered_since == at(17, 9)
    assert r.response_due_at == r.next_due_at == at(18, 9)
