"""GitHub: a fake GitHub REST API on a real local port (pytest-httpserver, payloads shaped like
GitHub's documentation) and real signed webhook posts to the live server."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.urls import reverse
from werkzeug import Response

from incidents.models import ActionItem, Incident, TimelineEntry
from incidents.services import action_items, lifecycle
from integrations.models import GitHubDelivery, GitHubIssue
from tests.incidents.conftest import acknowledge
from tickets import services as ticket_services
from tickets.models import SupportRequest

DOCS = json.loads((Path(__file__).parent / "fixtures" / "github.json").read_text())
SECRET = "it's-a-secret-to-everybody"
REPO = "octocat/Hello-World"


def gh_issue(number: int, *, state: str = "open", title: str = "Found a bug") -> dict:
    issue = copy.deepcopy(DOCS["issue"])
    base = f"https://api.github.com/repos/{REPO}/issues/{number}"
    issue.update(
        number=number,
        state=state,
        title=title,
        url=base,
        html_url=f"https://github.com/{REPO}/issues/{number}",
        comments_url=f"{base}/comments",
        events_url=f"{base}/events",
        labels_url=f"{base}/labels{{/name}}",
        closed_at="2026-03-09T12:00:00Z" if state == "closed" else None,
        state_reason="completed" if state == "closed" else None,
    )
    return issue


class FakeGitHub:
    """Answers like api.github.com: creating issues (201 with the created issue) and fetching
    one. Records what it was sent."""

    def __init__(self, httpserver, *, next_number: int = 1347):
        self.created: list[dict] = []
        self.headers: list[dict] = []
        self.next_number = next_number
        self.issues: dict[int, dict] = {}
        httpserver.expect_request(f"/repos/{REPO}/issues", method="POST").respond_with_handler(
            self.create
        )
        # Owner and repository names are case-insensitive on GitHub.
        httpserver.expect_request(
            re.compile(f"/repos/{REPO}/issues/7", re.IGNORECASE), method="GET"
        ).respond_with_handler(lambda request: Response(json.dumps(self.issues[7]), 200))
        self.base_url = httpserver.url_for("/").rstrip("/")

    def create(self, request):
        sent = json.loads(request.get_data())
        self.created.append(sent)
        self.headers.append(dict(request.headers))
        issue = gh_issue(self.next_number, title=sent["title"])
        issue["body"] = sent.get("body")
        issue["labels"] = [dict(DOCS["issue"]["labels"][0], name=n) for n in sent["labels"]]
        return Response(json.dumps(issue), status=201, content_type="application/json")


@pytest.fixture
def fake_github(httpserver, settings):
    fake = FakeGitHub(httpserver)
    settings.GITHUB_API_URL = fake.base_url
    settings.GITHUB_TOKEN = "github_pat_test"
    settings.GITHUB_REPOSITORY = REPO
    settings.GITHUB_WEBHOOK_SECRET = SECRET
    return fake


@pytest.fixture
def triaged(rep, hub, steward):
    r = ticket_services.request_submit(
        requester=rep, hub=hub, subject="Add a GPU profile", description="We need GPUs."
    )
    r = ticket_services.request_triage(
        support_request=r, by=steward, category="change", expected_version=r.version
    )
    ticket_services.request_add_note(
        support_request=r, by=steward, body="Budget is tight, be careful."
    )
    return r


def open_issue(client, steward, r, **data):
    client.force_login(steward)
    return client.post(reverse("integrations:request_github_issue", args=[r.pk]), data)


@pytest.mark.django_db
def test_a_steward_opens_a_labelled_issue_that_links_back_without_internal_notes(
    client, fake_github, triaged, steward
):
    response = open_issue(client, steward, triaged, send_canned="on")
    assert response.status_code == 302
    (sent,) = fake_github.created
    assert sent["labels"] == ["support"]
    assert sent["title"] == f"[{triaged.reference}] Add a GPU profile"
    assert f"/desk/requests/{triaged.pk}/" in sent["body"] and "We need GPUs." in sent["body"]
    assert "Budget is tight" not in sent["body"]
    assert "github_pat_test" in fake_github.headers[0]["Authorization"]
    triaged.refresh_from_db()
    assert triaged.engineering_issue_url == f"https://github.com/{REPO}/issues/1347"
    assert triaged.status == SupportRequest.Status.PLANNED
    issue = GitHubIssue.objects.get()
    assert (issue.repository, issue.number, issue.state) == (REPO.lower(), 1347, "open")
    page = client.get(reverse("tickets:desk_request", args=[triaged.pk])).content.decode()
    assert "octocat/hello-world#1347" in page and "Open" in page
    # A second click opens no second issue.
    open_issue(client, steward, triaged)
    assert len(fake_github.created) == 1


@pytest.mark.django_db
def test_internal_notes_go_in_only_when_ticked(client, fake_github, triaged, steward):
    open_issue(client, steward, triaged, include_internal_notes="on")
    assert "Budget is tight" in fake_github.created[0]["body"]


@pytest.mark.django_db
def test_github_refusing_leaves_the_request_as_it_was(
    client, httpserver, settings, triaged, steward
):
    httpserver.expect_request(f"/repos/{REPO}/issues", method="POST").respond_with_json(
        {"message": "Resource not accessible by personal access token"}, status=403
    )
    settings.GITHUB_API_URL = httpserver.url_for("/").rstrip("/")
    settings.GITHUB_TOKEN = "github_pat_test"
    settings.GITHUB_REPOSITORY = REPO
    response = open_issue(client, steward, triaged)
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Resource not accessible" in page
    triaged.refresh_from_db()
    assert triaged.engineering_issue_url == "" and triaged.status == "triaged"
    assert not GitHubIssue.objects.exists()


@pytest.mark.django_db
def test_a_representative_cannot_open_issues(client, fake_github, triaged, rep):
    client.force_login(rep)
    response = client.post(reverse("integrations:request_github_issue", args=[triaged.pk]))
    assert response.status_code == 403 and fake_github.created == []


# --- Webhooks through the live server ---------------------------------------------------------
def post_webhook(live_server, event: str, payload, *, secret=SECRET, delivery=None, raw=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "User-Agent": "GitHub-Hookshot/044aadd",
    }
    if secret is not None:
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Hub-Signature-256"] = f"sha256={digest}"
    request = urllib.request.Request(
        f"{live_server.url}{reverse('integrations:github_webhook')}",
        data=body,
        headers=headers,
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def issues_event(action: str, issue: dict) -> dict:
    return {
        "action": action,
        "issue": issue,
        "repository": DOCS["repository"],
        "sender": DOCS["user"],
    }


def pull_request_event(action: str, *, number: int, merged: bool, body: str) -> dict:
    base = gh_issue(number)
    pr = {
        "url": f"https://api.github.com/repos/{REPO}/pulls/{number}",
        "id": 1,
        "node_id": "MDExOlB1bGxSZXF1ZXN0MQ==",
        "html_url": f"https://github.com/{REPO}/pull/{number}",
        "number": number,
        "state": "closed" if action == "closed" else "open",
        "locked": False,
        "title": "Raise the node pool limit",
        "user": DOCS["user"],
        "body": body,
        "created_at": "2026-03-09T11:00:00Z",
        "updated_at": "2026-03-09T12:00:00Z",
        "closed_at": "2026-03-09T12:00:00Z" if action == "closed" else None,
        "merged_at": "2026-03-09T12:00:00Z" if merged else None,
        "merged": merged,
        "labels": base["labels"],
    }
    return {
        "action": action,
        "number": number,
        "pull_request": pr,
        "repository": DOCS["repository"],
        "sender": DOCS["user"],
    }


@pytest.fixture
def followed_request(transactional_db, fake_github, rep, hub, steward):
    r = ticket_services.request_submit(
        requester=rep, hub=hub, subject="Add a GPU profile", description="We need GPUs."
    )
    r = ticket_services.request_triage(
        support_request=r, by=steward, category="change", expected_version=r.version
    )
    from integrations.github import github_issue_open_for_request

    github_issue_open_for_request(support_request=r, by=steward)
    return r


def test_issue_closed_webhook_updates_the_request_page_once(
    live_server, followed_request, client, steward
):
    delivery = str(uuid.uuid4())
    closed = issues_event("closed", gh_issue(1347, state="closed"))
    status, body = post_webhook(live_server, "issues", closed, delivery=delivery)
    assert status == 200 and body["outcome"] == "octocat/hello-world#1347: closed"
    assert GitHubIssue.objects.get().state == "closed"
    # GitHub redelivers: nothing happens twice.
    status, body = post_webhook(live_server, "issues", closed, delivery=delivery)
    assert status == 200 and "duplicate" in body["outcome"]
    assert GitHubDelivery.objects.count() == 1
    client.force_login(steward)
    page = client.get(reverse("tickets:desk_request", args=[followed_request.pk]))
    assert 'class="badge issue-closed"' in page.content.decode()


def test_bad_or_unsigned_webhooks_are_refused_and_change_nothing(live_server, followed_request):
    closed = issues_event("closed", gh_issue(1347, state="closed"))
    assert post_webhook(live_server, "issues", closed, secret=None)[0] == 401
    assert post_webhook(live_server, "issues", closed, secret="wrong")[0] == 401
    assert post_webhook(live_server, "issues", None, raw=b"{not json")[0] == 400
    assert post_webhook(live_server, "issues", None, raw=b"[1, 2]")[0] == 400
    deep = b'{"a":' * 100 + b"1" + b"}" * 100  # signed, but past the project's depth limit
    assert post_webhook(live_server, "issues", None, raw=deep)[0] == 400
    assert GitHubIssue.objects.get().state == "open"
    assert not GitHubDelivery.objects.exists()
    assert post_webhook(live_server, "ping", {"zen": "Keep it logically awesome."})[0] == 200


@pytest.fixture
def incident_with_issue(transactional_db, fake_github, hub, steward):
    incident = lifecycle.incident_declare(
        by=steward,
        hubs=[hub],
        title="Servers do not start",
        symptom=Incident.Symptom.START_SERVERS,
        affected_users=5,
        detected_by=Incident.Detection.COMMUNITY,
    )
    acknowledge(incident, steward)
    from integrations.github import github_issue_open_for_incident

    github_issue_open_for_incident(incident=incident, by=steward)
    return incident


def test_an_incident_issue_is_labelled_and_carries_only_public_entries(
    incident_with_issue, fake_github
):
    (sent,) = fake_github.created
    assert sent["labels"] == ["incident"]
    assert f"/incidents/{incident_with_issue.pk}/" in sent["body"]
    assert "Declared by" not in sent["body"]  # the internal declaration note
    entry = incident_with_issue.timeline.get(kind=TimelineEntry.Kind.ACTION)
    assert entry.link_url == f"https://github.com/{REPO}/issues/1347"


def test_a_merged_pull_request_referencing_the_issue_reaches_the_incident_timeline(
    live_server, incident_with_issue
):
    event = pull_request_event("closed", number=1400, merged=True, body="Fixes #1347")
    status, body = post_webhook(live_server, "pull_request", event)
    assert status == 200, body
    entry = incident_with_issue.timeline.filter(kind=TimelineEntry.Kind.NOTE).last()
    assert "Pull request octocat/hello-world#1400 referencing" in entry.body
    assert "merged" in entry.body and entry.link_url.endswith("/pull/1400")
    closed = issues_event("closed", gh_issue(1347, state="closed"))
    post_webhook(live_server, "issues", closed)
    last = incident_with_issue.timeline.filter(kind=TimelineEntry.Kind.NOTE).last()
    assert last.body.startswith("Issue octocat/hello-world#1347 closed")


def test_an_action_item_is_done_when_its_follow_up_issue_closes(
    live_server, incident_with_issue, steward
):
    from tests.incidents.conftest import resolve, write_report

    resolve(incident_with_issue, steward)
    report = write_report(incident_with_issue, steward, submit=False)
    item = action_items.action_item_add(
        report=report,
        by=steward,
        description="Alert on node pool saturation",
        follow_up_url=f"https://github.com/{REPO}/issues/7",
    )
    closed = issues_event("closed", gh_issue(7, state="closed"))
    assert post_webhook(live_server, "issues", closed)[0] == 200
    item = ActionItem.objects.get(pk=item.pk)
    assert item.done and item.done_at is not None
    reopened = issues_event("reopened", gh_issue(7, state="open"))
    post_webhook(live_server, "issues", reopened)
    assert not ActionItem.objects.get(pk=item.pk).done


@pytest.mark.django_db
def test_a_pasted_issue_url_is_recognised_and_its_state_fetched(
    fake_github, triaged, steward, django_capture_on_commit_callbacks
):
    from supportdesk.celery import app

    fake_github.issues[7] = gh_issue(7, state="closed", title="Upgrade JupyterHub")
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ticket_services.request_link_issue(
                support_request=triaged,
                by=steward,
                url=f"https://github.com/{REPO}/issues/7",
                expected_version=triaged.version,
            )
    finally:
        app.conf.task_always_eager = eager
    issue = GitHubIssue.objects.get(links__request=triaged)
    assert (issue.number, issue.state, issue.title) == (7, "closed", "Upgrade JupyterHub")
