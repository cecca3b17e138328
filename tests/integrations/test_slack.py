"""Slack: a fake Slack Web API on a real local port (pytest-httpserver, answers shaped like
Slack's documentation) and real signed button clicks, commands and message actions posted to
the live server."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import time_machine
from django.urls import reverse
from werkzeug import Response

from incidents.models import Incident, RoleAssignment
from incidents.services import lifecycle, updates
from integrations.models import SlackMessage
from tests.notifications.helpers import march

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL = "C0INCIDENTS"
ROOT_TS = "1773050400.000100"


class FakeSlack:
    """Answers chat.postMessage, users.info, chat.getPermalink and chat.postEphemeral as
    Slack's Web API does; users are found by the e-mail of the desk's test users."""

    def __init__(self, httpserver):
        self.posts: list[dict] = []
        self.ephemeral: list[dict] = []
        self.emails = {"U0ANN": "ann@example.org", "U0BEN": "ben@example.org"}
        self.counter = 100
        for method, handler in {
            "chat.postMessage": self.post_message,
            "users.info": self.users_info,
            "chat.getPermalink": self.permalink,
            "chat.postEphemeral": self.post_ephemeral,
        }.items():
            httpserver.expect_request(f"/api/{method}").respond_with_handler(handler)
        self.base_url = httpserver.url_for("/api/")

    @staticmethod
    def _args(request) -> dict:
        if request.is_json:
            return request.get_json()
        return {**request.args.to_dict(), **request.form.to_dict()}

    def post_message(self, request):
        args = self._args(request)
        self.posts.append(args)
        ts = ROOT_TS if len(self.posts) == 1 else f"1773050400.{self.counter:06d}"
        self.counter += 1
        return Response(
            json.dumps(
                {
                    "ok": True,
                    "channel": args["channel"],
                    "ts": ts,
                    "message": {"text": args["text"], "type": "message", "ts": ts},
                }
            ),
            content_type="application/json",
        )

    def users_info(self, request):
        user = self._args(request)["user"]
        if user not in self.emails:
            return Response(json.dumps({"ok": False, "error": "user_not_found"}))
        body = {
            "ok": True,
            "user": {
                "id": user,
                "team_id": "T012AB3C4",
                "name": user.lower(),
                "deleted": False,
                "profile": {"real_name": user, "email": self.emails[user]},
            },
        }
        return Response(json.dumps(body), content_type="application/json")

    def permalink(self, request):
        args = self._args(request)
        ts = args["message_ts"].replace(".", "")
        body = {
            "ok": True,
            "channel": args["channel"],
            "permalink": f"https://ghostbusters.slack.com/archives/{args['channel']}/p{ts}",
        }
        return Response(json.dumps(body), content_type="application/json")

    def post_ephemeral(self, request):
        self.ephemeral.append(self._args(request))
        return Response(json.dumps({"ok": True, "message_ts": "1773050500.000001"}))


@pytest.fixture
def fake_slack(httpserver, settings, eager_delivery):
    fake = FakeSlack(httpserver)
    settings.SLACK_API_URL = fake.base_url
    settings.SLACK_BOT_TOKEN = "xoxb-test"
    settings.SLACK_SIGNING_SECRET = SIGNING_SECRET
    settings.SLACK_CHANNEL = CHANNEL
    return fake


def signed_post(live_server, name: str, form: dict, *, secret=SIGNING_SECRET, at=None):
    body = urllib.parse.urlencode(form).encode()
    timestamp = str(int(at if at is not None else time.time()))
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if secret is not None:
        base = b"v0:" + timestamp.encode() + b":" + body
        digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
        headers.update(
            {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}
        )
    request = urllib.request.Request(
        f"{live_server.url}{reverse(f'integrations:{name}')}", data=body, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def click(live_server, action_id: str, incident, *, user="U0BEN", **kwargs):
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T012AB3C4"},
        "api_app_id": "A0APP",
        "container": {"type": "message", "message_ts": ROOT_TS, "channel_id": CHANNEL},
        "trigger_id": "12466734323.1395872398",
        "channel": {"id": CHANNEL, "name": "incidents"},
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b1",
                "type": "button",
                "value": str(incident.pk),
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return signed_post(
        live_server, "slack_interactions", {"payload": json.dumps(payload)}, **kwargs
    )


@pytest.fixture
def declared(transactional_db, fake_slack, hub, rotation, django_capture_on_commit_callbacks):
    """Declared by monitoring: nobody is commander yet."""
    with django_capture_on_commit_callbacks(execute=True):
        return lifecycle.incident_declare(
            by=None,
            hubs=[hub],
            title="Servers do not start",
            symptom=Incident.Symptom.START_SERVERS,
            affected_users=5,
            detected_by=Incident.Detection.ALERT,
        )


def test_a_declared_incident_is_posted_with_its_buttons(declared, fake_slack):
    (post,) = fake_slack.posts
    assert post["channel"] == CHANNEL and declared.reference in post["text"]
    buttons = post["blocks"][1]["elements"]
    assert [b["text"]["text"] for b in buttons] == [
        "Acknowledge the page",
        "Take commander",
        "Open in the desk",
    ]
    assert buttons[2]["url"].endswith(f"/incidents/{declared.pk}/")
    assert SlackMessage.objects.get(incident=declared).ts == ROOT_TS


def test_the_acknowledge_button_acts_and_answers_in_the_thread(live_server, declared, fake_slack):
    status, body = click(live_server, "incident_acknowledge", declared)
    assert status == 200, body
    declared.refresh_from_db()
    assert declared.state == Incident.State.ACKNOWLEDGED
    assert declared.next_page_at is None  # the page is acknowledged: escalation stops
    answer = fake_slack.posts[-1]
    assert answer["thread_ts"] == ROOT_TS and "Ben Eng acknowledged" in answer["text"]
    # Clicking again changes nothing and says why, in the thread.
    click(live_server, "incident_acknowledge", declared)
    assert "only a triggered incident" in fake_slack.posts[-1]["text"]


def test_the_take_commander_button_hands_the_role_over(live_server, declared, fake_slack):
    status, _ = click(live_server, "incident_take_command", declared)
    assert status == 200
    commander = declared.roles.get(role=RoleAssignment.Role.COMMANDER, ended_at__isnull=True)
    assert commander.user.username == "ben"
    assert "Incident Commander" in fake_slack.posts[-1]["text"]
    # Ann holds no role: she cannot take it from Ben, and is told so in the thread.
    click(live_server, "incident_take_command", declared, user="U0ANN")
    commander = declared.roles.get(role=RoleAssignment.Role.COMMANDER, ended_at__isnull=True)
    assert commander.user.username == "ben"
    assert fake_slack.posts[-1]["text"].startswith("<@U0ANN>: ")


def test_unsigned_stale_or_forged_clicks_are_refused_and_change_nothing(
    live_server, declared, fake_slack
):
    assert click(live_server, "incident_acknowledge", declared, secret=None)[0] == 401
    assert click(live_server, "incident_acknowledge", declared, secret="forged")[0] == 401
    stale = time.time() - 3600
    assert click(live_server, "incident_acknowledge", declared, at=stale)[0] == 401
    bad = signed_post(live_server, "slack_interactions", {"payload": "{nope"})
    assert bad[0] == 400
    declared.refresh_from_db()
    assert declared.state == Incident.State.TRIGGERED and len(fake_slack.posts) == 1


def test_a_slack_user_without_a_desk_account_cannot_act(live_server, declared, fake_slack):
    status, body = click(live_server, "incident_acknowledge", declared, user="U0NOBODY")
    assert status == 200 and "matches no account" in body["text"]
    declared.refresh_from_db()
    assert declared.state == Incident.State.TRIGGERED


def test_updates_resolution_and_report_go_in_the_incident_thread(
    declared, fake_slack, steward, django_capture_on_commit_callbacks
):
    """Acknowledged by Ann from the desk: she becomes commander and liaison."""
    from tests.incidents.conftest import acknowledge, resolve, review_report

    for step in (
        lambda: acknowledge(declared, steward),
        lambda: updates.incident_send_update(
            incident=declared, by=steward, body="Nodes are coming back."
        ),
        lambda: resolve(declared, steward),
        lambda: review_report(declared, steward),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            step()
    thread = [p for p in fake_slack.posts[1:]]
    assert [p.get("thread_ts") for p in thread] == [ROOT_TS] * 3
    assert "Nodes are coming back." in thread[0]["text"]
    assert "resolved" in thread[1]["text"] and "/reports/" in thread[2]["text"]


def test_new_requests_and_likely_incidents_are_posted(
    fake_slack, rep, hub, db, django_capture_on_commit_callbacks
):
    from tickets.services import request_submit

    with django_capture_on_commit_callbacks(execute=True):
        request_submit(requester=rep, hub=hub, subject="More RAM", description="Please.")
    with django_capture_on_commit_callbacks(execute=True):
        request_submit(
            requester=rep,
            hub=hub,
            subject="Nobody can log in",
            description="Since 9am.",
            cannot_log_in=True,
            affected_users=12,
        )
    texts = [p["text"] for p in fake_slack.posts]
    assert texts[0].startswith("New request") and "More RAM" in texts[0]
    assert texts[1].startswith(":rotating_light: Likely incident") and "12 users" in texts[1]


# --- /support ---------------------------------------------------------------------------------
def command(live_server, text: str, *, user="U0ANN", **kwargs):
    form = {
        "token": "deprecated",
        "team_id": "T012AB3C4",
        "channel_id": CHANNEL,
        "user_id": user,
        "user_name": user.lower(),
        "command": "/support",
        "text": text,
        "response_url": "https://hooks.slack.com/commands/1234/5678",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }
    return signed_post(live_server, "slack_command", form, **kwargs)


@time_machine.travel(march(9, 10), tick=True)
def test_support_command_duty_mine_and_declare(
    live_server, transactional_db, fake_slack, rotation, hub, rep
):
    from rotation.services import current_stewards
    from tickets.services import request_submit

    on_duty = [e.user.display_name for e in current_stewards()]
    status, body = command(live_server, "duty")
    assert status == 200 and all(name in body["text"] for name in on_duty)
    assert body["response_type"] == "ephemeral"

    r = request_submit(requester=rep, hub=hub, subject="More RAM", description="Please.")
    assignee_slack = {"ann": "U0ANN", "ben": "U0BEN"}[r.assignee.username]
    _, body = command(live_server, "mine", user=assignee_slack)
    assert r.reference in body["text"] and "More RAM" in body["text"]

    status, body = command(live_server, "declare alpha-hub start 4 Spawner times out")
    assert status == 200 and body["response_type"] == "in_channel"
    incident = Incident.objects.get()
    assert incident.title == "Spawner times out" and incident.declared_by.username == "ann"
    assert incident.detected_by == Incident.Detection.TEAM

    _, body = command(live_server, "declare nowhere start 4 Down")
    assert "No active hub" in body["text"] and Incident.objects.count() == 1
    _, body = command(live_server, "")
    assert "/support duty" in body["text"]


def test_an_unsigned_command_is_refused(live_server, transactional_db, fake_slack, hub):
    status, body = command(live_server, "declare alpha-hub start 4 Down", secret=None)
    assert status == 401 and body["code"] == "bad_signature"
    assert not Incident.objects.exists()


# --- Message action ---------------------------------------------------------------------------
def test_a_slack_message_is_copied_into_the_incident_timeline(live_server, declared, fake_slack):
    message_ts = "1773050460.000200"
    payload = {
        "type": "message_action",
        "callback_id": "add_to_incident_timeline",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "user": {"id": "U0BEN", "name": "ben"},
        "channel": {"id": CHANNEL, "name": "incidents"},
        "message": {
            "type": "message",
            "user": "U0ANN",
            "text": "kubectl get nodes shows 3 NotReady",
            "ts": message_ts,
            "thread_ts": ROOT_TS,
        },
        "response_url": "https://hooks.slack.com/app/T012AB3C4/1234/5678",
    }
    status, body = signed_post(live_server, "slack_interactions", {"payload": json.dumps(payload)})
    assert status == 200 and declared.reference in body["text"], body
    entry = declared.timeline.get(body__contains="Slack message")
    assert "kubectl get nodes shows 3 NotReady" in entry.body and "Ann Eng" in entry.body
    assert entry.author.username == "ben"
    assert entry.link_url == f"https://ghostbusters.slack.com/archives/{CHANNEL}/p1773050460000200"
    assert entry.occurred_at == datetime.datetime.fromtimestamp(float(message_ts), tz=datetime.UTC)
    assert fake_slack.ephemeral[-1]["user"] == "U0BEN"
