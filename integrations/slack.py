"""Slack: the incident channel hears what happens, and acts back through the same services.

Posts (slack-sdk's WebClient, `SLACK_API_URL` configurable) go to `SLACK_CHANNEL` through the
notification machinery (kind "slack_post": claimed once by key, retried with back-off): a new
request, a likely incident, an incident declared (with buttons: acknowledge the page, take the
commander role, open in the desk), an update sent, resolved, report published. The incident's
later posts and the answers to its buttons go in the thread of its first post.

Inbound (views check the Slack signature, X-Slack-Signature over the timestamp and raw body,
with SLACK_SIGNING_SECRET, before anything else):
- buttons (`slack_action_handle`): acknowledge, take command; acted as the desk user whose
  e-mail is the Slack user's (users.info), answered in the thread;
- the `/support` command (`slack_command_handle`): who is on duty, my assigned requests, declare
  an incident for a hub;
- the message action "Add to incident timeline" (`slack_message_to_timeline`): the message's
  author, time and permalink become a timeline entry of the incident whose thread it is in (or
  of the only open incident)."""

from __future__ import annotations

import datetime
import json
import logging
import shlex

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from accounts.roles import is_staff_member
from communities.models import Hub
from incidents.models import Incident, RoleAssignment, TimelineEntry
from incidents.services.assignments import incident_handoff
from incidents.services.lifecycle import incident_acknowledge, incident_declare
from incidents.services.live_log import incident_add_timeline_entry
from integrations.models import SlackMessage, SlackUser
from notifications.models import Notification
from notifications.services import notify
from rotation.services import current_stewards
from supportdesk.errors import DomainError
from tickets.models import SupportRequest

logger = logging.getLogger(__name__)

NOTIFICATION_KIND = "slack_post"
ACK = "incident_acknowledge"
TAKE_COMMAND = "incident_take_command"
OPEN_IN_DESK = "open_in_desk"
MESSAGE_ACTION = "add_to_incident_timeline"


def slack_configured() -> bool:
    return bool(settings.SLACK_BOT_TOKEN and settings.SLACK_CHANNEL)


def _client():
    return WebClient(
        token=settings.SLACK_BOT_TOKEN,
        base_url=settings.SLACK_API_URL,
        timeout=int(settings.SLACK_TIMEOUT_SECONDS),
    )


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def slack_signature_valid(*, body: bytes, timestamp: str, signature: str) -> bool:
    if not settings.SLACK_SIGNING_SECRET or not timestamp or not signature:
        return False
    verifier = SignatureVerifier(settings.SLACK_SIGNING_SECRET)
    return verifier.is_valid(body=body, timestamp=timestamp, signature=signature)


# --- Posting ----------------------------------------------------------------------------------
def _post(
    *,
    key: str,
    text: str,
    blocks: list | None = None,
    incident=None,
    support_request=None,
    root: bool = False,
    thread_ts: str = "",
) -> None:
    """Claim one post (exactly once per key); it is sent after commit and retried."""
    if not slack_configured():
        return
    notify(
        key=f"slack:{key}",
        kind=NOTIFICATION_KIND,
        channel=Notification.Channel.WEBHOOK,
        subject=text[:255],
        body=json.dumps(
            {
                "text": text,
                "blocks": blocks or [],
                "incident": incident.pk if incident is not None else None,
                "root": root,
                "thread_ts": thread_ts,
            }
        ),
        incident=incident,
        support_request=support_request,
    )


def slack_send(notification: Notification) -> None:
    """The sender of "slack_post" notifications: chat.postMessage, in the incident's thread
    when it has one; the incident's first post is remembered as that thread."""
    message = json.loads(notification.body)
    incident_id = message.get("incident")
    thread_ts = message.get("thread_ts") or ""
    root = SlackMessage.objects.filter(incident_id=incident_id).first() if incident_id else None
    if not thread_ts and root is not None and not message.get("root"):
        thread_ts = root.ts
    kwargs = {"channel": root.channel if root else settings.SLACK_CHANNEL, "text": message["text"]}
    if message.get("blocks"):
        kwargs["blocks"] = message["blocks"]
    if thread_ts:
        kwargs["thread_ts"] = thread_ts
    response = _client().chat_postMessage(**kwargs)  # raises SlackApiError: retried
    if message.get("root") and incident_id and root is None:
        SlackMessage.objects.get_or_create(
            incident_id=incident_id,
            defaults={"channel": response["channel"], "ts": response["ts"]},
        )


def _desk_button(path: str) -> dict:
    return {
        "type": "button",
        "action_id": OPEN_IN_DESK,
        "text": {"type": "plain_text", "text": "Open in the desk"},
        "url": _absolute(path),
    }


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}


def announce_request_created(*, support_request) -> None:
    desk = reverse("tickets:desk_request", args=[support_request.pk])
    r = support_request
    if r.likely_incident:
        text = (
            f":rotating_light: Likely incident: {r.reference} from {r.community}"
            f" ({r.hub or 'no hub named'}), {r.affected_users} users affected: {r.subject}"
        )
    else:
        text = f"New request {r.reference} from {r.community}: {r.subject}"
    _post(
        key=f"request.created:{support_request.pk}",
        text=text,
        blocks=[_section(text), {"type": "actions", "elements": [_desk_button(desk)]}],
        support_request=support_request,
    )


def announce_incident_declared(*, incident, hubs) -> None:
    desk = reverse("incidents:detail", args=[incident.pk])
    text = (
        f":fire: {incident.reference} declared: {incident.title} on "
        f"{', '.join(h.name for h in hubs)} ({incident.get_severity_display().lower()})"
    )
    buttons = [
        {
            "type": "button",
            "action_id": ACK,
            "style": "primary",
            "text": {"type": "plain_text", "text": "Acknowledge the page"},
            "value": str(incident.pk),
        },
        {
            "type": "button",
            "action_id": TAKE_COMMAND,
            "text": {"type": "plain_text", "text": "Take commander"},
            "value": str(incident.pk),
        },
        _desk_button(desk),
    ]
    _post(
        key=f"incident.declared:{incident.pk}",
        text=text,
        blocks=[_section(text), {"type": "actions", "elements": buttons}],
        incident=incident,
        root=True,
    )


def announce_in_thread(*, key: str, incident, text: str) -> None:
    _post(key=key, text=text, incident=incident)


# --- Who is acting ----------------------------------------------------------------------------
def desk_user_for(slack_user_id: str):
    """The active desk user behind a Slack user: remembered, else matched by the e-mail that
    Slack's users.info gives (needs the users:read.email scope)."""
    known = SlackUser.objects.filter(slack_user_id=slack_user_id).select_related("user").first()
    if known is not None and known.user.is_active:
        return known.user

    try:
        info = _client().users_info(user=slack_user_id)
    except SlackApiError as exc:
        logger.warning("users.info failed for %s: %s", slack_user_id, exc)
        return None
    email = ((info.get("user") or {}).get("profile") or {}).get("email", "")
    if not email:
        return None
    user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
    if user is not None:
        SlackUser.objects.update_or_create(slack_user_id=slack_user_id, defaults={"user": user})
    return user


class SlackRefusal(DomainError):
    pass


def _acting_user(slack_user_id: str, *, staff: bool = True):
    user = desk_user_for(slack_user_id)
    if user is None:
        raise SlackRefusal(
            gettext(
                "Your Slack e-mail address matches no account of the desk, so nothing was done."
            )
        )
    if staff and not is_staff_member(user):
        raise SlackRefusal(gettext("Only the support team can do that from Slack."))
    return user


# --- Buttons ----------------------------------------------------------------------------------
def slack_action_handle(*, payload: dict) -> str:
    """A button was clicked. Acts through the incident services, answers in the thread (a post
    claimed once per click, so Slack's retries answer once). Returns the answer."""
    actions = payload.get("actions") or []
    action = actions[0] if actions else {}
    action_id = action.get("action_id", "")
    if action_id == OPEN_IN_DESK:
        return ""  # a link button: Slack opened the page
    if action_id not in (ACK, TAKE_COMMAND):
        raise DomainError(gettext("Unknown action %(action_id)s.") % {"action_id": repr(action_id)})
    slack_user = (payload.get("user") or {}).get("id", "")
    container = payload.get("container") or payload.get("message") or {}
    thread_ts = container.get("thread_ts") or container.get("message_ts") or ""
    try:
        incident = Incident.objects.get(pk=int(action.get("value", "")))
    except (ValueError, Incident.DoesNotExist) as exc:
        raise DomainError(gettext("That incident does not exist.")) from exc
    try:
        user = _acting_user(slack_user)
        with transaction.atomic():
            if action_id == ACK:
                answer = _acknowledge(incident=incident, by=user)
            else:
                answer = _take_command(incident=incident, by=user)
    except DomainError as exc:
        answer = f"<@{slack_user}>: {exc.message}"
    announce_thread_answer(
        key=f"action:{action.get('action_ts') or payload.get('trigger_id', '')}:{slack_user}",
        incident=incident,
        text=answer,
        thread_ts=thread_ts,
    )
    return answer


def announce_thread_answer(*, key: str, incident, text: str, thread_ts: str) -> None:
    _post(key=key, text=text, incident=incident, thread_ts=thread_ts)


def _acknowledge(*, incident, by) -> str:
    # Acknowledging the incident is what acknowledges its page (incidents/paging.py): it stops
    # the escalation chain, exactly as the page's one-click link does.

    incident_acknowledge(incident=incident, by=by)
    return (
        f"{by.display_name} acknowledged {incident.reference}: paging stopped, the "
        "representatives are told."
    )


def _take_command(*, incident, by) -> str:
    incident_handoff(
        incident=incident,
        role=RoleAssignment.Role.COMMANDER,
        to_user=by,
        by=by,
        reason="Took command from Slack",
    )
    return f"{by.display_name} is now the Incident Commander of {incident.reference}."


# --- /support ---------------------------------------------------------------------------------
COMMAND_HELP = (
    "`/support duty`: who is on duty. `/support mine`: your assigned requests. "
    "`/support declare <hub> <login|start|code|dask> <users> <title>`: declare an incident."
)
SYMPTOMS = {
    "login": "login",
    "start": "start_servers",
    "code": "run_code",
    "dask": "dask_gateway",
}


def slack_command_handle(*, text: str, slack_user_id: str) -> dict:
    """The /support command. Returns Slack's response body (ephemeral unless declaring)."""
    try:
        words = shlex.split(text or "")
    except ValueError:
        words = (text or "").split()
    sub = words[0].lower() if words else "help"
    try:
        if sub == "duty":
            return _ephemeral(_on_duty())
        if sub == "mine":
            return _ephemeral(_mine(_acting_user(slack_user_id, staff=True)))
        if sub == "declare":
            return _declare(words[1:], _acting_user(slack_user_id, staff=True))
    except DomainError as exc:
        return _ephemeral(exc.message)
    return _ephemeral(COMMAND_HELP)


def _ephemeral(text: str) -> dict:
    return {"response_type": "ephemeral", "text": text}


def _on_duty() -> str:
    stewards = current_stewards()
    if not stewards:
        return "Nobody is on the support rotation today."
    return "On duty: " + ", ".join(e.user.display_name for e in stewards) + "."


def _mine(user) -> str:
    rows = list(
        SupportRequest.objects.filter(assignee=user, status__in=SupportRequest.OPEN_STATUSES)
        .select_related("community")
        .order_by("received_at")[:20]
    )
    if not rows:
        return "You have no open requests assigned."
    lines = [
        f"• <{_absolute(reverse('tickets:desk_request', args=[r.pk]))}|{r.reference}> "
        f"{r.community}: {r.subject} ({r.get_status_display().lower()})"
        for r in rows
    ]
    return "Your open requests:\n" + "\n".join(lines)


def _declare(words: list[str], user) -> dict:
    if len(words) < 4 or words[1].lower() not in SYMPTOMS or not words[2].isdigit():
        raise SlackRefusal(
            gettext("Usage: %(help)s")
            % {"help": COMMAND_HELP.split("`/support declare")[0] + COMMAND_HELP}
        )
    hub = Hub.objects.filter(slug=words[0].lower(), is_active=True).first()
    if hub is None:
        raise SlackRefusal(gettext("No active hub is called %(hub)s.") % {"hub": repr(words[0])})
    incident = incident_declare(
        by=user,
        hubs=[hub],
        title=" ".join(words[3:]),
        symptom=SYMPTOMS[words[1].lower()],
        affected_users=int(words[2]),
        detected_by=Incident.Detection.TEAM,
    )
    link = _absolute(reverse("incidents:detail", args=[incident.pk]))
    return {
        "response_type": "in_channel",
        "text": f"{user.display_name} declared <{link}|{incident.reference}> on {hub.name}.",
    }


# --- Message action ---------------------------------------------------------------------------
def slack_message_to_timeline(*, payload: dict) -> str:
    """ "Add to incident timeline": copy a Slack message (author, time, permalink) into the
    incident whose thread it is in, else the only open incident."""
    user = _acting_user((payload.get("user") or {}).get("id", ""))
    message = payload.get("message") or {}
    channel = (payload.get("channel") or {}).get("id", "")
    thread = message.get("thread_ts") or message.get("ts") or ""
    root = SlackMessage.objects.filter(ts=thread).select_related("incident").first()
    if root is not None:
        incident = root.incident
    else:
        open_incidents = list(Incident.objects.filter(state__in=Incident.OPEN_STATES)[:2])
        if len(open_incidents) != 1:
            raise SlackRefusal(
                gettext("No open incident, or several: use the action in the incident's thread.")
                if open_incidents
                else gettext("No incident is open.")
            )
        incident = open_incidents[0]
    author_id = message.get("user", "")
    author = desk_user_for(author_id) if author_id else None
    author_name = author.display_name if author else f"<@{author_id}>"
    try:
        at = datetime.datetime.fromtimestamp(float(message.get("ts", "")), tz=datetime.UTC)
    except ValueError:
        at = timezone.now()
    permalink = ""

    try:
        permalink = _client().chat_getPermalink(channel=channel, message_ts=message["ts"])[
            "permalink"
        ]
    except (SlackApiError, KeyError) as exc:
        logger.warning("chat.getPermalink failed: %s", exc)
    entry = incident_add_timeline_entry(
        incident=incident,
        by=user,
        kind=TimelineEntry.Kind.NOTE,
        body=f"Slack message from {author_name}:\n\n{message.get('text', '')}",
        occurred_at=min(at, timezone.now()),
        link_url=permalink[:200],
    )
    return f"Added to the timeline of {incident.reference} (entry {entry.pk})."


def slack_tell_privately(*, payload: dict, text: str) -> None:
    """Answer the person who used a message action, visible to them only."""
    channel = (payload.get("channel") or {}).get("id", "")
    user = (payload.get("user") or {}).get("id", "")
    if not (channel and user and settings.SLACK_BOT_TOKEN):
        return
    try:
        _client().chat_postEphemeral(channel=channel, user=user, text=text)
    except SlackApiError as exc:
        logger.warning("chat.postEphemeral failed: %s", exc)
