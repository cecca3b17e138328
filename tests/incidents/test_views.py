"""Incident pages: who may see and do what (role x page, role x action), and the war room's
forms keeping what was typed when a rule refuses it."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from incidents import selectors
from incidents.models import Incident, IncidentReport, TimelineEntry
from incidents.services import action_items, lifecycle, live_log, reports
from tests.factories import SupportRequestFactory
from tests.incidents.conftest import acknowledge, resolve, review_report, write_report

ROLES = ["anonymous", "rep_a", "rep_b", "steward", "engineer", "admin"]
LOGIN = "login"


@pytest.fixture
def people(rep, other_rep, steward, engineer, admin_user, rotation):
    return {
        "anonymous": None,
        "rep_a": rep,
        "rep_b": other_rep,
        "steward": steward,
        "engineer": engineer,
        "admin": admin_user,
        "dan": rotation[3].user,
    }


def log_in(client, people, role):
    user = people[role]
    if user is not None:
        client.force_login(user)
    return user


def outcome(response) -> int | str:
    if response.status_code == 302 and response["Location"].startswith(reverse("login")):
        return LOGIN
    return response.status_code


# --- Pages ------------------------------------------------------------------------------------
STAFF_PAGE = {"anonymous": LOGIN, "rep_a": 403, "rep_b": 403}
SCOPED_PAGE = {"anonymous": LOGIN, "rep_a": 200, "rep_b": 404}
PUBLIC = dict.fromkeys(ROLES, 200)
STAFF_PREVIEW = {"anonymous": 404, "rep_a": 404, "rep_b": 404}

PAGES = {
    # name: (url builder, expectations that differ from "staff get 200")
    "list": (lambda w: reverse("incidents:list"), {"anonymous": LOGIN, "rep_a": 200, "rep_b": 200}),
    "declare": (lambda w: reverse("incidents:declare"), STAFF_PAGE),
    "detail": (lambda w: reverse("incidents:detail", args=[w["incident"].pk]), SCOPED_PAGE),
    "timeline": (lambda w: reverse("incidents:timeline", args=[w["incident"].pk]), SCOPED_PAGE),
    "report_edit": (
        lambda w: reverse("incidents:report_edit", args=[w["incident"].pk]),
        {"anonymous": LOGIN, "rep_a": 403, "rep_b": 404},
    ),
    "archive": (lambda w: reverse("incidents:report_archive"), PUBLIC),
    "report": (lambda w: reverse("incidents:report_public", args=[w["report"].pk]), PUBLIC),
    "report_md": (lambda w: reverse("incidents:report_markdown", args=[w["report"].pk]), PUBLIC),
    "report_pdf": (lambda w: reverse("incidents:report_pdf", args=[w["report"].pk]), PUBLIC),
    "draft_report": (
        lambda w: reverse("incidents:report_public", args=[w["draft"].pk]),
        STAFF_PREVIEW,
    ),
    "draft_md": (
        lambda w: reverse("incidents:report_markdown", args=[w["draft"].pk]),
        STAFF_PREVIEW,
    ),
}


@pytest.fixture
def world(declare, steward):
    incident = resolve(acknowledge(declare(), steward), steward)
    report = review_report(incident, steward)
    drafted = resolve(acknowledge(declare(title="Drafted"), steward), steward)
    draft = reports.report_create(incident=drafted, by=steward)
    return {"incident": incident, "report": report, "draft": draft}


@pytest.mark.parametrize("role", ROLES)
def test_page_access(client, people, world, role, monkeypatch):
    # The real PDF is checked in test_report.py; here only who may fetch it matters.
    monkeypatch.setattr("incidents.views.render_report_pdf", lambda report, html: b"%PDF-stub")
    log_in(client, people, role)

    seen = {page: outcome(client.get(url_for(world))) for page, (url_for, _) in PAGES.items()}

    assert seen == {page: expected.get(role, 200) for page, (_, expected) in PAGES.items()}


# --- Actions ----------------------------------------------------------------------------------
def _triggered(ctx):
    return ctx["declare"]()


def _acknowledged(ctx):
    return acknowledge(ctx["declare"](), ctx["steward"])


def _resolved(ctx):
    return resolve(_acknowledged(ctx), ctx["steward"])


def _closable(ctx):
    incident = _resolved(ctx)
    lifecycle.incident_community_confirm(incident=incident, by=ctx["steward"])
    review_report(incident, ctx["steward"])
    return incident


def _with_draft(ctx):
    incident = _resolved(ctx)
    write_report(incident, ctx["steward"], submit=False)
    return incident


def _in_review(ctx):
    incident = _resolved(ctx)
    write_report(incident, ctx["steward"])
    return incident


def _now_field():
    return timezone.now().strftime("%Y-%m-%dT%H:%M")


STAFF_ACTION = {"anonymous": LOGIN, "rep_a": 403, "rep_b": 404}
ACTIONS = {
    # name: (incident in the right state, url name, POST data, expectations beyond staff 302)
    "acknowledge": (_triggered, "acknowledge", lambda c, i: {}, STAFF_ACTION),
    "add_entry": (
        _triggered,
        "add_entry",
        lambda c, i: {
            "entry-kind": "note",
            "entry-body": "Checked the node pool",
            "entry-occurred_at": _now_field(),
        },
        STAFF_ACTION,
    ),
    "handoff": (
        _triggered,
        "handoff",
        lambda c, i: {
            "handoff-role": "commander",
            "handoff-to_user": c["people"]["dan"].pk,
            "handoff-reason": "End of the day",
        },
        # The engineer is neither commander nor manager; the admin is.
        {**STAFF_ACTION, "engineer": 403},
    ),
    "add_sme": (
        _triggered,
        "add_sme",
        lambda c, i: {"sme-user": c["people"]["dan"].pk},
        STAFF_ACTION,
    ),
    "send_update": (
        _acknowledged,
        "send_update",
        lambda c, i: {"update-body": "Hi {representative_name}, still on it."},
        # Only the liaison or the commander (the steward) sends updates.
        {**STAFF_ACTION, "engineer": 403, "admin": 403},
    ),
    "escalate": (_acknowledged, "escalate", lambda c, i: {}, STAFF_ACTION),
    "impact_start": (
        _acknowledged,
        "impact_start",
        lambda c, i: {"impact-at": _now_field()},
        STAFF_ACTION,
    ),
    "resolve": (
        _acknowledged,
        "resolve",
        lambda c, i: {
            "resolve-impact_ended_at": _now_field(),
            "resolve-verification_note": "Started a server",
            "resolve-message": "",
        },
        STAFF_ACTION,
    ),
    "confirm": (
        _resolved,
        "confirm",
        lambda c, i: {},
        {"anonymous": LOGIN, "rep_a": 302, "rep_b": 404},
    ),
    "close": (_closable, "close", lambda c, i: {}, STAFF_ACTION),
    "report_create": (_resolved, "report_create", lambda c, i: {}, STAFF_ACTION),
    "report_edit": (
        _with_draft,
        "report_edit",
        lambda c, i: {
            "owner": c["steward"].pk,
            "summary": "Summary",
            "analysis": "Analysis",
            "version": i.report.version,
        },
        STAFF_ACTION,
    ),
    "report_submit": (_with_draft, "report_submit", lambda c, i: {}, STAFF_ACTION),
    "report_review": (_in_review, "report_review", lambda c, i: {}, STAFF_ACTION),
    "action_item_add": (
        _with_draft,
        "action_item_add",
        lambda c, i: {
            "item-description": "Alert on capacity",
            "item-follow_up_url": "https://github.com/org/infra/issues/1",
        },
        STAFF_ACTION,
    ),
}


def _fingerprint(incident: Incident) -> tuple:
    incident.refresh_from_db()
    report = IncidentReport.objects.filter(incident=incident).first()
    return (
        incident.version,
        incident.timeline.count(),
        report.version if report else None,
        report.action_items.count() if report else None,
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_action_access(client, people, declare, steward, action, role):
    make, url_name, data, expected = ACTIONS[action]
    ctx = {"declare": declare, "steward": steward, "people": people}
    incident = make(ctx)
    before = _fingerprint(incident)
    log_in(client, people, role)

    response = client.post(
        reverse(f"incidents:{url_name}", args=[incident.pk]), data(ctx, incident)
    )

    want = expected.get(role, 302)
    assert outcome(response) == want, getattr(response, "content", b"")[:2000]
    if want == 302:
        assert _fingerprint(incident) != before  # it did something
    else:
        assert _fingerprint(incident) == before  # and a refusal changes nothing


def test_a_representative_toggling_an_action_item_is_refused(client, rep, resolved, steward):
    report = review_report(resolved, steward)
    item = action_items.action_item_add(
        report=report, by=steward, description="x", follow_up_url="https://x.org/1"
    )
    client.force_login(rep)
    url = reverse("incidents:action_item_toggle", args=[resolved.pk, item.pk])

    assert client.post(url, {"done": "1"}).status_code == 403
    client.force_login(steward)
    assert client.post(url, {"done": "1"}).status_code == 302
    item.refresh_from_db()
    assert item.done


# --- The war room -----------------------------------------------------------------------------
def test_the_war_room_polls_its_timeline_and_shows_the_update_clock(client, steward, declare):
    friday = datetime.datetime(2026, 3, 6, 22, 30, tzinfo=datetime.UTC)
    with time_machine.travel(friday, tick=False):
        incident = declare()
    client.force_login(steward)

    with time_machine.travel(datetime.datetime(2026, 3, 9, 2, 0, tzinfo=datetime.UTC), tick=False):
        page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()

    poll = f'data-poll-url="{reverse("incidents:timeline", args=[incident.pk])}"'
    assert poll in page and 'data-poll-seconds="10"' in page
    assert "overdue by 30 m" in page and "due-overdue" in page
    assert "Mon 9 Mar, 01:30 UTC" in page
    assert "Hi {representative_name}" in page  # the update form, prefilled from the template
    assert 'id="no-commander"' not in page


def test_an_alert_declared_incident_shows_that_nobody_commands_it(client, declare, engineer):
    incident = declare(by=None, detected_by=Incident.Detection.ALERT)
    client.force_login(engineer)
    url = reverse("incidents:detail", args=[incident.pk])

    assert 'id="no-commander"' in client.get(url).content.decode()
    client.post(reverse("incidents:take_command", args=[incident.pk]))
    assert selectors.current_roles(incident=incident).commander == engineer
    assert 'id="no-commander"' not in client.get(url).content.decode()


def test_representatives_see_only_public_entries_in_the_live_timeline(
    client, declare, steward, rep
):
    incident = declare()
    live_log.incident_add_timeline_entry(
        incident=incident, by=steward, kind="note", body="INTERNAL: restarting the hub db"
    )
    live_log.incident_add_timeline_entry(
        incident=incident,
        by=steward,
        kind="communication",
        body="PUBLIC: we are on it",
        is_public=True,
    )
    url = reverse("incidents:timeline", args=[incident.pk])

    client.force_login(rep)
    as_rep = client.get(url).content.decode()
    detail = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    client.force_login(steward)
    as_staff = client.get(url).content.decode()

    assert "PUBLIC: we are on it" in as_rep and "INTERNAL" not in as_rep
    assert "INTERNAL" not in detail and "Add to the timeline" not in detail
    assert "PUBLIC: we are on it" in as_staff and "INTERNAL: restarting" in as_staff


def test_a_poll_after_the_session_ended_does_not_replace_the_timeline_with_the_login_page(
    client, declare
):
    incident = declare()
    url = reverse("incidents:timeline", args=[incident.pk])

    assert client.get(url, headers={"X-Requested-With": "fetch"}).status_code == 401


def test_a_refused_entry_keeps_what_was_typed(client, declare, steward):
    incident = declare()
    client.force_login(steward)

    response = client.post(
        reverse("incidents:add_entry", args=[incident.pk]),
        {
            "entry-kind": "fix",
            "entry-body": "Raised the pod limit to 300",
            "entry-occurred_at": _now_field(),
        },
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "A fix needs the link to its pull request." in page
    assert "Raised the pod limit to 300" in page
    assert not incident.timeline.filter(kind=TimelineEntry.Kind.FIX).exists()


def test_declaring_below_the_definition_asks_for_an_override_then_accepts_it(client, steward, hub):
    client.force_login(steward)
    form = {
        "title": "One user cannot log in",
        "hubs": [hub.pk],
        "symptom": "login",
        "affected_users": "1",
        "detected_by": "community",
        "summary": "",
        "impact_started_at": "",
        "override_reason": "",
    }

    refused = client.post(reverse("incidents:declare"), form)

    assert refused.status_code == 400
    assert 'id="definition-warning"' in refused.content.decode()
    assert "One user cannot log in" in refused.content.decode()
    assert not Incident.objects.exists()

    accepted = client.post(
        reverse("incidents:declare"), {**form, "override_reason": "It is the exam account"}
    )

    incident = Incident.objects.get()
    assert accepted["Location"] == reverse("incidents:detail", args=[incident.pk])
    assert incident.definition_override_reason == "It is the exam account"


def test_declaring_from_a_request_prefills_the_form_and_links_the_request(
    client, steward, community, hub, rep
):
    support_request = SupportRequestFactory(
        community=community,
        hub=hub,
        requester=rep,
        subject="Nobody can start a server",
        cannot_start_servers=True,
        affected_users=12,
    )
    client.force_login(steward)
    url = f"{reverse('incidents:declare')}?request={support_request.pk}"

    page = client.get(url).content.decode()

    assert 'value="Nobody can start a server"' in page
    assert 'value="12"' in page and 'value="start_servers" selected' in page
    response = client.post(
        reverse("incidents:declare"),
        {
            "title": "Nobody can start a server",
            "hubs": [hub.pk],
            "symptom": "start_servers",
            "affected_users": "12",
            "detected_by": "community",
            "request": support_request.pk,
        },
    )
    assert response.status_code == 302
    support_request.refresh_from_db()
    assert support_request.incident is not None and support_request.category == "incident"


def test_a_stale_report_form_is_refused_without_losing_the_text(client, resolved, steward):
    report = reports.report_create(incident=resolved, by=steward)
    reports.report_update(
        report=report, by=steward, expected_version=report.version, analysis="Newer"
    )
    client.force_login(steward)

    response = client.post(
        reverse("incidents:report_edit", args=[resolved.pk]),
        {"summary": "My summary", "analysis": "My analysis", "version": report.version},
    )

    assert response.status_code == 409
    assert "My analysis" in response.content.decode()
    report.refresh_from_db()
    assert report.analysis == "Newer"


def test_the_incident_list_shows_open_incidents_first_in_constant_queries(
    client, declare, steward, django_assert_max_num_queries
):
    closed_ish = resolve(acknowledge(declare(title="Old and resolved"), steward), steward)
    for n in range(3):
        declare(title=f"Open {n}")
    client.force_login(steward)

    with django_assert_max_num_queries(12):
        page = client.get(reverse("incidents:list")).content.decode()

    assert page.index("Open 2") < page.index("Old and resolved")
    assert closed_ish.reference in page


def test_representatives_list_only_their_communities_incidents(
    client, declare, other_hub, rep, other_rep
):
    ours = declare(title="Ours")
    theirs = declare(title="Theirs", hubs=[other_hub])
    client.force_login(rep)

    page = client.get(reverse("incidents:list")).content.decode()

    assert ours.title in page and theirs.title not in page


def test_a_huge_affected_user_count_is_a_form_error_not_a_500(client, steward, hub):
    client.force_login(steward)
    response = client.post(
        "/incidents/declare/",
        {
            "title": "Servers do not start",
            "hubs": [hub.pk],
            "symptom": "start_servers",
            "affected_users": "9" * 25,
            "detected_by": "community",
        },
    )
    assert response.status_code in (200, 400)
    assert "less than or equal to 1000000" in response.content.decode()
