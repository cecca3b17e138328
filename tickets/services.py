"""Every state change of a support request (DOMAIN.md "Lifecycle of a non-incident request").

Each service takes keyword-only arguments, runs in one transaction, locks the request row,
writes a RequestEvent (who did what, when), recomputes the stored deadlines from the
working-time engine (slo.services) and the priority rank (tickets.priority), and claims its
e-mails with notifications.services.notify, which delivers after commit.

Field edits and transitions take `expected_version`: the version the steward's form loaded. A
different version means a colleague changed the request in between, so the edit is refused
(ConcurrentEdit) instead of silently overwriting theirs. Replies and notes only add rows, so
nothing of anyone's can be lost by them; they are not refused for a stale version, except a
steward's public reply, which should not go out without having seen a colleague's.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop, ngettext

from accounts.language import language_for
from accounts.models import User
from accounts.roles import check_staff, is_staff_member, representative_community
from communities.services import budgets_changed, month_of
from notifications.models import Notification
from notifications.services import absolute_url, notify, notify_many
from rotation.services import assignee_for_new_request
from slo.services import load_policies, refresh_request_deadlines
from supportdesk.errors import (
    ConcurrentEdit,
    DomainError,
    InvalidTransition,
    NewMessageSince,
    PermissionDenied,
)
from supportdesk.events import emit as emit_event
from tickets import rules, selectors
from tickets.attachments import IncomingFile, attachments_store
from tickets.canned import fill_placeholders, refuse_unfilled
from tickets.models import (
    Attachment,
    CannedResponse,
    Message,
    RequestEvent,
    SupportRequest,
    TimeEntry,
)
from tickets.priority import (
    RANK_LABELS,
    priority_recompute_for_community,
    refresh_priority_rank,
)
from tickets.selectors import what_happens_next

Status = SupportRequest.Status
Category = SupportRequest.Category
Kind = RequestEvent.Kind

MAX_MINUTES_PER_ENTRY = 24 * 60

# Used when an admin has deactivated or deleted the canned response of that purpose.
FALLBACK_TEXT: dict[str, str] = {
    CannedResponse.Purpose.NOT_AN_OUTAGE: (
        "Hi {representative_name},\n\nWe looked into {reference} ({subject}): it is not an "
        "outage, and it has entered our work planning. We track it at {link}.\n\n{steward_name}"
    ),
    CannedResponse.Purpose.RESOLUTION: (
        "Hi {representative_name},\n\nWe believe {reference} ({subject}) is now resolved. "
        "Please confirm, or reply if something is still not right.\n\n{steward_name}"
    ),
    CannedResponse.Purpose.CLOSING: (
        "Hi {representative_name},\n\nWe have closed {reference} ({subject}). If anything is "
        "still not right, reply to this e-mail: your reply opens a new request linked to this "
        "one.\n\n{steward_name}"
    ),
}


# --- helpers ---------------------------------------------------------------------------------


_LOCK_RELATED = ("community", "hub", "requester", "assignee")


def _related_field(name: str):
    return SupportRequest._meta.get_field(name)


def _lock(support_request: SupportRequest, expected_version: int | None = None) -> SupportRequest:
    """The request's row, locked for this transaction, with what the services read.

    A request the view of this web request has just loaded with its related rows (to check the
    user's scope: selectors.request_get_for marks it `_relations_fresh`) lends them to the
    locked row when it still points at them, instead of joining them again: the lock only
    covers the request's own row (`of`), so a copy read a moment earlier is as good as one read
    now, and the locking query is a plain primary-key lookup (the 5-way join cost each reply
    about 1 ms to build and plan). Any other instance (possibly held for a while: tasks,
    sweeps, tests), what the view did not load, or what changed meanwhile, is read afresh."""
    fresh = support_request._relations_fresh
    reusable = [
        name for name in _LOCK_RELATED if fresh and _related_field(name).is_cached(support_request)
    ]
    joined = [name for name in _LOCK_RELATED if name not in reusable]
    query = SupportRequest.objects.select_for_update(of=("self",))
    if joined:
        query = query.select_related(*joined)
    locked = query.get(pk=support_request.pk)
    for name in reusable:
        field = _related_field(name)
        related = field.get_cached_value(support_request)
        if (related.pk if related is not None else None) == getattr(locked, field.attname):
            field.set_cached_value(locked, related)
    if expected_version is not None and locked.version != int(expected_version):
        raise ConcurrentEdit(
            gettext(
                "%(reference)s was changed by someone else after you opened it. Check the "
                "current state below; what you typed has been kept, submit again to apply it."
            )
            % {"reference": locked.reference}
        )
    return locked


def _save(r: SupportRequest, fields: list[str]) -> None:
    r.version += 1
    r.save(update_fields=sorted({*fields, "version", "updated_at"}))


def _event(
    r: SupportRequest, kind: str, by, at: datetime.datetime, detail: str = "", **data
) -> RequestEvent:
    return RequestEvent(
        request=r,
        kind=kind,
        actor=by if by is not None and by.is_authenticated else None,
        detail=detail[:500],
        data=data,
        created_at=at,
    )


def _record(
    r: SupportRequest, kind: str, by, at: datetime.datetime, detail: str = "", **data
) -> RequestEvent:
    event = _event(r, kind, by, at, detail, **data)
    event.save(force_insert=True)
    return event


def _clean_text(value: str, *, field: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(
            gettext("%(what)s cannot be empty.") % {"what": gettext(what)}, field=field
        )
    return value


def _clean_url(value: str, *, field: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError as exc:
        raise DomainError(
            gettext("Enter a full web address starting with https://."), field=field
        ) from exc
    return value


def _clean_reply(body: str, link_url: str) -> tuple[str, str]:
    """A public reply's text (required) and link (optional), whichever way it is posted."""
    return (
        _clean_text(body, field="body", what=gettext_noop("The reply")),
        _clean_url(link_url, field="link_url"),
    )


def _rep_url(r: SupportRequest) -> str:
    return reverse("tickets:detail", args=[r.pk])


def _desk_url(r: SupportRequest) -> str:
    return reverse("tickets:desk_request", args=[r.pk])


def _subject(r: SupportRequest, text: str) -> str:
    """E-mail subjects start with the reference, so that replies can be threaded."""
    return f"[{r.reference}] {text}"


def _canned(purpose: str) -> CannedResponse | None:
    return CannedResponse.objects.filter(purpose=purpose, is_active=True).order_by("pk").first()


def _canned_text(
    purpose: str, r: SupportRequest, by, **extra: str
) -> tuple[str, CannedResponse | None]:
    canned = _canned(purpose)
    template = canned.body if canned else FALLBACK_TEXT[purpose]
    return fill_placeholders(template, _placeholder_values(r, by, **extra)), canned


def _placeholder_values(r: SupportRequest, by, *, context: str = "", link: str = "") -> dict:
    requester = r.requester
    return {
        "representative_name": requester.first_name or requester.display_name,
        "reference": r.reference,
        "subject": r.subject,
        "hub": r.hub.name if r.hub else f"the {r.community.name} hub",
        "community": r.community.name,
        "steward_name": by.display_name if by is not None else "The support team",
        "link": link or r.engineering_issue_url or absolute_url(_rep_url(r)),
        "context": context,
    }


def _post_public_staff_message(
    r: SupportRequest,
    *,
    by,
    body: str,
    at: datetime.datetime,
    link_url: str = "",
    canned_response: CannedResponse | None = None,
) -> tuple[Message, list[str]]:
    """A public answer from the team: it stops the response clocks. Returns the changed fields."""
    message = _message(r, by, body, at, link_url=link_url, canned_response=canned_response)
    fields = ["last_staff_reply_at", "unanswered_since"]
    r.last_staff_reply_at = at
    r.unanswered_since = None
    if r.first_responded_at is None:
        r.first_responded_at = at
        fields.append("first_responded_at")
    return message, fields


def _message(
    r: SupportRequest,
    author,
    body: str,
    at: datetime.datetime,
    *,
    from_staff: bool = True,
    internal: bool = False,
    **extra,
) -> Message:
    """A message of the conversation: from the team (`author` None: supportdesk itself) or from
    the representative's side; an internal note; `extra`: the link, the canned response."""
    return Message.objects.create(
        request=r,
        author=author,
        visibility=Message.Visibility.INTERNAL if internal else Message.Visibility.PUBLIC,
        body=body,
        is_from_staff=from_staff,
        created_at=at,
        **extra,
    )


def _acknowledgement(r: SupportRequest, requester, community, follow_up_of, policies) -> dict:
    """The "we received your request" e-mail, in the active language."""
    steps = "\n".join(f"- {step}" for step in what_happens_next(r, policies=policies))
    follows = (
        gettext("It follows up %(reference)s, which was closed.")
        % {"reference": follow_up_of.reference}
        + "\n\n"
        if follow_up_of is not None
        else ""
    )
    closing = (
        gettext("Reply to this e-mail to add to it, or follow it on its page:")
        if r.channel == SupportRequest.Channel.EMAIL
        else gettext("Follow it, reply or add a link on its page:")
    )
    values = {
        "name": requester.first_name or requester.display_name,
        "reference": r.reference,
        "subject": r.subject,
        "community": community,
    }
    return {
        "key": f"request:{r.pk}:ack",
        "kind": "request_ack",
        "subject": _subject(
            r, gettext("We received your request: %(subject)s") % {"subject": r.subject}
        ),
        "body": (
            gettext("Hi %(name)s,") % values
            + "\n\n"
            + gettext(
                "Thank you: we received your request %(reference)s (%(subject)s) for %(community)s."
            )
            % values
            + f"\n\n{follows}"
            + gettext("What happens next:")
            + f"\n{steps}\n\n{closing}"
        ),
        "user": requester,
        "url": _rep_url(r),
        "support_request": r,
    }


def _email_reply(r: SupportRequest, message: Message, by, *, files: list | None = None) -> None:
    """A public message of the team, e-mailed to the representative in their language.
    `files`: its attachments, when the caller stored them (None: read them)."""
    with translation.override(language_for(r.requester)):
        values = {"name": by.display_name, "reference": r.reference, "subject": r.subject}
        body = (
            gettext("%(name)s replied to your request %(reference)s (%(subject)s):") % values
            + f"\n\n{message.body}"
        )
        if message.link_url:
            body += "\n\n" + gettext("Link: %(url)s") % {"url": message.link_url}
        if files is None:
            files = list(message.attachments.all())
        if files:
            body += (
                "\n\n"
                + gettext("Files (sign in to download):")
                + "\n"
                + "\n".join(
                    f"- {f.filename}: "
                    + absolute_url(reverse("tickets:attachment_download", args=[f.pk]))
                    for f in files
                )
            )
        body += "\n\n" + gettext("Reply to this e-mail, or on the request page:")
    # The key names a message made in this transaction: it cannot be taken, so no savepoint
    # (two queries fewer); an error fails the caller's transaction, as it would anyway.
    notify_many(
        messages=[
            {
                "key": f"message:{message.pk}:email:{r.requester_id}",
                "kind": "request_reply",
                "subject": _subject(r, r.subject),
                "body": body,
                "user": r.requester,
                "url": _rep_url(r),
                "support_request": r,
            }
        ],
        savepoint=False,
    )


# --- services --------------------------------------------------------------------------------


@transaction.atomic
def request_submit(
    *,
    requester: User,
    hub,
    subject: str,
    description: str,
    cannot_log_in: bool = False,
    cannot_start_servers: bool = False,
    cannot_run_code: bool = False,
    cannot_use_dask: bool = False,
    affected_users: int = 0,
    channel: str = SupportRequest.Channel.WEB,
    at: datetime.datetime | None = None,
    attachments: list[IncomingFile] | None = None,
) -> SupportRequest:
    """A representative's request: stored, assigned to a steward on duty, its deadlines set,
    and acknowledged by e-mail with what happens next. `attachments` come with it."""
    community = representative_community(requester)
    if community is None:
        raise PermissionDenied(
            gettext("Only a community representative can submit a support request.")
        )
    try:
        affected_users = int(affected_users or 0)
    except (TypeError, ValueError) as exc:
        raise DomainError(
            gettext("Enter the number of affected users."), field="affected_users"
        ) from exc
    if affected_users < 0:
        raise DomainError(
            gettext("The number of affected users cannot be negative."), field="affected_users"
        )
    at = at or timezone.now()
    return _open_request(
        community=community,
        requester=requester,
        hub=hub,
        subject=subject,
        description=description,
        symptoms={
            "cannot_log_in": bool(cannot_log_in),
            "cannot_start_servers": bool(cannot_start_servers),
            "cannot_run_code": bool(cannot_run_code),
            "cannot_use_dask": bool(cannot_use_dask),
        },
        affected_users=affected_users,
        channel=channel,
        at=at,
        attachments=attachments,
    )


@transaction.atomic
def request_open_from_email(
    *,
    community,
    requester: User,
    hub,
    subject: str,
    description: str,
    received_at: datetime.datetime,
    follow_up_of: SupportRequest | None = None,
    acknowledge: bool = True,
) -> SupportRequest:
    """A request that arrived by e-mail. The caller (tickets.inbound) has settled who the
    sender is and which community it is for: a representative's own, or the one a steward
    attached an unknown sender's mail to (who was acknowledged already: `acknowledge=False`)."""
    subject = (subject or "").strip() or "(no subject)"
    description = (description or "").strip() or "(The e-mail had no text.)"
    return _open_request(
        community=community,
        requester=requester,
        hub=hub,
        subject=subject,
        description=description,
        symptoms={},
        affected_users=0,
        channel=SupportRequest.Channel.EMAIL,
        at=received_at,
        follow_up_of=follow_up_of,
        acknowledge=acknowledge,
    )


def _open_request(
    *,
    community,
    requester,
    hub,
    subject: str,
    description: str,
    symptoms: dict[str, bool],
    affected_users: int,
    channel: str,
    at: datetime.datetime,
    follow_up_of: SupportRequest | None = None,
    acknowledge: bool = True,
    attachments: list[IncomingFile] | None = None,
) -> SupportRequest:
    """A new request, whichever way it came: stored with its deadlines and rank, assigned,
    acknowledged, announced, with the files that came with it (the requester's)."""
    if hub is not None and hub.community_id != community.pk:
        raise DomainError(
            gettext("%(hub)s is not one of %(community)s's hubs.")
            % {"hub": hub, "community": community},
            field="hub",
        )
    subject = _clean_text(subject, field="subject", what=gettext_noop("The subject"))
    description = _clean_text(
        description, field="description", what=gettext_noop("The description")
    )
    if channel not in SupportRequest.Channel.values:
        raise DomainError(
            gettext("Unknown channel %(channel)s.") % {"channel": repr(channel)}, field="channel"
        )
    r = SupportRequest(
        community=community,
        hub=hub,
        requester=requester,
        channel=channel,
        subject=subject[:200],
        description=description,
        affected_users=affected_users,
        likely_incident=rules.meets_incident_definition(affected_users=affected_users, **symptoms),
        assignee=assignee_for_new_request(at=at),
        received_at=at,
        follow_up_of=follow_up_of,
        **symptoms,
    )
    policies = load_policies()
    refresh_request_deadlines(r, policies=policies)
    refresh_priority_rank(r)
    r.save()
    detail = f"Received by {r.get_channel_display().lower()}"
    if r.likely_incident:
        detail += " (likely incident)"
    if follow_up_of is not None:
        detail += f"; follows up the closed {follow_up_of.reference}"
    events = [
        _event(
            r,
            Kind.RECEIVED,
            requester,
            at,
            detail=detail,
            likely_incident=r.likely_incident,
            **({"follow_up_of": follow_up_of.pk} if follow_up_of is not None else {}),
        )
    ]
    if r.assignee_id:
        events.append(
            _event(
                r,
                Kind.ASSIGNED,
                None,
                at,
                detail=f"Assigned to {r.assignee}",
                assignee=r.assignee_id,
            )
        )
    RequestEvent.objects.bulk_create(events)  # one INSERT for both
    messages = []
    if r.assignee_id:
        messages.append(
            {
                "key": f"request:{r.pk}:assigned:{r.assignee_id}:v{r.version}",
                "kind": "request_assigned",
                "channel": Notification.Channel.IN_APP,
                "subject": _subject(r, f"Assigned to you: {r.subject}"),
                "body": f"{community}: {r.subject}",
                "user": r.assignee,
                "url": _desk_url(r),
                "support_request": r,
            }
        )
    if acknowledge:
        # Written in the representative's language (their account's, else the browser's
        # they submitted from), every time in their community's zone.
        with translation.override(language_for(requester, acting=True)):
            messages.append(_acknowledgement(r, requester, community, follow_up_of, policies))
    # One INSERT for both, without a savepoint: if it fails, so does the submission.
    notify_many(messages=messages, savepoint=False)
    emit_event("request_created", support_request=r)
    if attachments:
        attachments_store(support_request=r, files=attachments, by=requester, at=at)
    return r


def _record_assigned(r: SupportRequest, *, assignee, by, at: datetime.datetime) -> None:
    """The audit row of a (re)assignment, and the new assignee's note in the app."""
    _record(r, Kind.ASSIGNED, by, at, detail=f"Assigned to {assignee}", assignee=assignee.pk)
    if assignee.pk != by.pk:
        notify(
            key=f"request:{r.pk}:assigned:{assignee.pk}:v{r.version}",
            kind="request_assigned",
            channel=Notification.Channel.IN_APP,
            subject=_subject(r, f"Assigned to you by {by}: {r.subject}"),
            body=f"{r.community}: {r.subject}",
            user=assignee,
            url=_desk_url(r),
            support_request=r,
        )


@transaction.atomic
def request_assign(
    *,
    support_request: SupportRequest,
    by: User,
    assignee: User | None,
    expected_version: int | None = None,
) -> SupportRequest:
    """Give the request to a member of the support team without triaging it (triage can
    reassign too, through the same audit row and note). Assigning to the current assignee
    changes nothing."""
    check_staff(by, gettext_noop("assign requests"))
    r = _lock(support_request, expected_version)
    if r.status == Status.CLOSED:
        raise InvalidTransition(
            gettext("%(reference)s is closed: it can no longer be reassigned.")
            % {"reference": r.reference}
        )
    if assignee is None or not is_staff_member(assignee):
        raise DomainError(
            gettext("%(assignee)s is not on the support team.")
            % {"assignee": assignee or gettext("Nobody")},
            field="assignee",
        )
    if assignee.pk == r.assignee_id:
        return r
    at = timezone.now()
    r.assignee = assignee
    _save(r, ["assignee"])
    _record_assigned(r, assignee=assignee, by=by, at=at)
    return r


@transaction.atomic
def request_triage(
    *,
    support_request: SupportRequest,
    by: User,
    category: str,
    hub=None,
    assignee: User | None = None,
    expected_version: int | None,
) -> SupportRequest:
    """Categorise (step 2 of the lifecycle); optionally move to another hub of the community or
    reassign. `hub=None` / `assignee=None` keep the current ones."""
    check_staff(by, gettext_noop("triage requests"))
    r = _lock(support_request, expected_version)
    if r.status == Status.CLOSED:
        raise InvalidTransition(
            gettext("%(reference)s is closed: its category can no longer change.")
            % {"reference": r.reference}
        )
    if category not in (Category.INCIDENT, Category.CHANGE, Category.GUIDANCE):
        raise DomainError(
            gettext("Choose a category: incident, change or guidance."), field="category"
        )
    if hub is not None and hub.community_id != r.community_id:
        raise DomainError(
            gettext("%(hub)s is not one of %(community)s's hubs.")
            % {"hub": hub, "community": r.community},
            field="hub",
        )
    if assignee is not None and not is_staff_member(assignee):
        raise DomainError(
            gettext("%(assignee)s is not on the support team.") % {"assignee": assignee},
            field="assignee",
        )
    at = timezone.now()
    fields = ["category", "priority_rank"]
    changes: dict[str, list[str | int | None]] = {}
    old_category = r.category
    if old_category != category:
        changes["category"] = [old_category, category]
    r.category = category
    if r.status == Status.NEW:
        r.status = Status.TRIAGED
        r.triaged_at = at
        fields += ["status", "triaged_at"]
    if hub is not None and hub.pk != r.hub_id:
        changes["hub"] = [r.hub_id, hub.pk]
        r.hub = hub
        fields.append("hub")
    reassigned = assignee is not None and assignee.pk != r.assignee_id
    if reassigned and assignee is not None:
        changes["assignee"] = [r.assignee_id, assignee.pk]
        r.assignee = assignee
        fields.append("assignee")
    budget_moved = False
    if (old_category == Category.INCIDENT) != (category == Category.INCIDENT):
        # Incident work never draws on the budget, whenever the time was logged.
        budget_moved = bool(
            TimeEntry.objects.filter(request=r).update(
                counts_against_budget=category != Category.INCIDENT
            )
        )
        budgets_changed()  # update() sends no signal
    fields += refresh_request_deadlines(r)
    refresh_priority_rank(r)
    _save(r, fields)
    _record(
        r,
        Kind.TRIAGED,
        by,
        at,
        detail=f"Category: {r.get_category_display()}"
        + (f"; hub: {r.hub}" if "hub" in changes else ""),
        **changes,
    )
    if reassigned:
        _record_assigned(r, assignee=assignee, by=by, at=at)
    if budget_moved:
        # Its time left or joined the budget, and budget use orders the community's requests.
        priority_recompute_for_community(community=r.community)
    return r


@transaction.atomic
def request_reply(
    *,
    support_request: SupportRequest,
    by: User,
    body: str,
    link_url: str = "",
    canned_response: CannedResponse | None = None,
    expected_version: int | None = None,
    attachments: list[IncomingFile] | None = None,
    seen_message_id: int | None = None,
    send_anyway: bool = False,
    channel: str = SupportRequest.Channel.WEB,
) -> Message | SupportRequest:
    """A public reply (web form, API), with any `attachments`. From the team it answers the
    representative (and is e-mailed to them); from the representative it restarts the response
    clock and reopens a resolved request, and on a closed request it opens a new request linked
    to it (DOMAIN.md step 8: that request is returned, through `channel`).

    `seen_message_id`: the last message on the page the reply was written on (0: none). A
    message from someone else since then refuses the reply (NewMessageSince) unless
    `send_anyway`: the author reads it first, then confirms."""
    staff = is_staff_member(by)
    if not staff and _lock(support_request).status == Status.CLOSED:
        return request_follow_up(
            closed=support_request,
            by=by,
            body=body,
            link_url=link_url,
            attachments=attachments,
            channel=channel,
        )
    rules.check_team_or_representative(
        user=by, support_request=support_request, action=gettext_noop("reply")
    )
    body, link_url = _clean_reply(body, link_url)
    if staff:
        refuse_unfilled(body)
    r = _lock(support_request, expected_version)
    if r.status == Status.CLOSED:
        raise InvalidTransition(
            gettext(
                "%(reference)s is closed: a reply from the representative opens a follow-up "
                "request."
            )
            % {"reference": r.reference}
        )
    if seen_message_id is not None and not send_anyway:
        _refuse_if_new_messages(r, by=by, seen_message_id=seen_message_id, staff=staff)
    at = timezone.now()
    if staff:
        message, fields = _post_public_staff_message(
            r, by=by, body=body, at=at, link_url=link_url, canned_response=canned_response
        )
        fields += refresh_request_deadlines(r)
        _save(r, fields)
        _record(r, Kind.REPLIED, by, at, detail=body[:200], message=message.pk)
        files = (
            attachments_store(support_request=r, message=message, files=attachments, by=by, at=at)
            if attachments
            else []
        )
        _email_reply(r, message, by, files=files)
        return message

    message = _requester_reply(r, by=by, body=body, link_url=link_url, at=at)
    if attachments:
        attachments_store(support_request=r, message=message, files=attachments, by=by, at=at)
    return message


def _refuse_if_new_messages(r: SupportRequest, *, by, seen_message_id: int, staff: bool) -> None:
    newer = selectors.messages_since(
        r, seen_message_id=seen_message_id, excluding=by, public_only=not staff
    )
    count = newer.count()
    if not count:
        return
    first = newer.first()
    author = first.author if first is not None else None
    values = {
        "who": author.display_name if author is not None else "supportdesk",
        "reference": r.reference,
        "more": count - 1,
    }
    raise NewMessageSince(
        (
            ngettext(
                "Not sent yet: %(who)s wrote on %(reference)s after you opened it, and "
                "%(more)d more message. Read the new messages below; your reply is kept. Send "
                "it anyway, or change it first.",
                "Not sent yet: %(who)s wrote on %(reference)s after you opened it, and "
                "%(more)d more messages. Read the new messages below; your reply is kept. Send "
                "it anyway, or change it first.",
                count - 1,
            )
            if count > 1
            else gettext(
                "Not sent yet: %(who)s wrote on %(reference)s after you opened it. Read the new "
                "message below; your reply is kept. Send it anyway, or change it first."
            )
        )
        % values
    )


@transaction.atomic
def request_follow_up(
    *,
    closed: SupportRequest,
    by: User,
    body: str,
    link_url: str = "",
    attachments: list[IncomingFile] | None = None,
    channel: str = SupportRequest.Channel.WEB,
    at: datetime.datetime | None = None,
) -> SupportRequest:
    """A reply to a closed request: a new request of the same community and hub, linked to the
    closed one ("follow-up of SD-n"), with the reply as its description. Web, API and e-mail
    alike; the closed request stays closed (its page lists its follow-ups)."""
    rules.check_requester_or_representative(user=by, support_request=closed)
    body, link_url = _clean_reply(body, link_url)
    r = _lock(closed)
    if r.status != Status.CLOSED:
        raise InvalidTransition(
            gettext("%(reference)s is not closed: reply to it instead.")
            % {"reference": r.reference}
        )
    at = at or timezone.now()
    description = f"{body}\n\n{link_url}" if link_url else body
    return _open_request(
        community=r.community,
        requester=by,
        hub=r.hub,
        subject=r.subject,
        description=description,
        symptoms={},
        affected_users=0,
        channel=channel,
        at=at,
        follow_up_of=r,
        attachments=attachments,
    )


@transaction.atomic
def request_reply_from_email(
    *, support_request: SupportRequest, by: User, body: str, received_at: datetime.datetime
) -> Message:
    """The representative's (or the e-mail requester's) reply that arrived by e-mail. The
    caller (tickets.inbound) has matched the sender to the request; a closed request is the
    caller's to follow up with a new request."""
    rules.check_requester_or_representative(user=by, support_request=support_request)
    body = (body or "").strip() or "(The e-mail had no text.)"
    r = _lock(support_request)
    if r.status == Status.CLOSED:
        raise InvalidTransition(gettext("%(reference)s is closed.") % {"reference": r.reference})
    return _requester_reply(r, by=by, body=body, link_url="", at=received_at)


def _requester_reply(
    r: SupportRequest, *, by, body: str, link_url: str, at: datetime.datetime
) -> Message:
    """The representative wrote: the response clock restarts, a resolved request reopens."""
    message = _message(r, by, body, at, from_staff=False, link_url=link_url)
    r.last_requester_reply_at = at
    fields = ["last_requester_reply_at", *_mark_unanswered(r, at)]
    _record(r, Kind.REQUESTER_REPLIED, by, at, detail=body[:200], message=message.pk)
    if r.status == Status.RESOLVED:
        # DOMAIN.md step 8: "A reply to a resolved request reopens it."
        fields += _reopen(r, by=by, at=at, detail="Reopened by the representative's reply")
    fields += refresh_request_deadlines(r)
    fields += refresh_priority_rank(r)
    _save(r, fields)
    if r.assignee_id:
        notify(
            key=f"message:{message.pk}:inapp:{r.assignee_id}",
            kind="request_requester_replied",
            channel=Notification.Channel.IN_APP,
            subject=_subject(r, f"{by} replied: {r.subject}"),
            body=body[:500],
            user=r.assignee,
            url=_desk_url(r),
            support_request=r,
        )
    return message


def _mark_unanswered(r: SupportRequest, at: datetime.datetime) -> list[str]:
    """The representative wrote: the response clock starts at their EARLIEST message the team
    has not answered (DOMAIN.md), so a second message before an answer changes nothing."""
    if r.unanswered_since is None:
        r.unanswered_since = at
    return ["unanswered_since"]


def _reopen(r: SupportRequest, *, by, at: datetime.datetime, detail: str) -> list[str]:
    """Back from resolved to triaged: the auto-close clock stops (deadlines are refreshed by the
    caller) and the resolution no longer stands."""
    r.status = Status.TRIAGED
    r.resolved_at = None
    _record(r, Kind.REOPENED, by, at, detail=detail)
    return ["status", "resolved_at"]


@transaction.atomic
def request_reopen(
    *,
    support_request: SupportRequest,
    by: User,
    reason: str = "",
    expected_version: int | None = None,
) -> SupportRequest:
    """Reopen a resolved request explicitly (the representative, or a steward). When the
    representative reopens it they are waiting for an answer again, so the response clock
    restarts; a closed request stays closed (a new request is the way back)."""
    rules.check_team_or_representative(
        user=by, support_request=support_request, action=gettext_noop("reopen")
    )
    staff = is_staff_member(by)
    reason = (reason or "").strip()[:500]
    r = _lock(support_request, expected_version)
    if r.status != Status.RESOLVED:
        raise InvalidTransition(
            gettext("Only a resolved request can be reopened; %(reference)s is %(status)s.")
            % {"reference": r.reference, "status": r.get_status_display().lower()}
        )
    at = timezone.now()
    detail = f"Reopened: {reason}" if reason else "Reopened"
    fields = _reopen(r, by=by, at=at, detail=detail)
    if not staff:
        r.last_requester_reply_at = at
        fields += ["last_requester_reply_at", *_mark_unanswered(r, at)]
    fields += refresh_request_deadlines(r)
    fields += refresh_priority_rank(r)
    _save(r, fields)
    if r.assignee_id and r.assignee_id != getattr(by, "pk", None):
        notify(
            key=f"request:{r.pk}:reopened:{at.isoformat()}",
            kind="request_reopened",
            channel=Notification.Channel.IN_APP,
            subject=_subject(r, f"Reopened by {by}: {r.subject}"),
            body=reason or "The request was reopened.",
            user=r.assignee,
            url=_desk_url(r),
            support_request=r,
        )
    return r


@transaction.atomic
def request_add_attachments(
    *, support_request: SupportRequest, by: User, files: list[IncomingFile]
) -> list[Attachment]:
    """Files added to the request itself (the API's upload): by the team or the community's
    representative, while the request is not closed."""
    rules.check_team_or_representative(
        user=by, support_request=support_request, action=gettext_noop("attach files")
    )
    if not files:
        raise DomainError(gettext("Attach at least one file."), field="file")
    r = _lock(support_request)
    if r.status == Status.CLOSED:
        raise InvalidTransition(gettext("%(reference)s is closed.") % {"reference": r.reference})
    at = timezone.now()
    stored = attachments_store(support_request=r, files=files, by=by, at=at)
    names = ", ".join(a.filename for a in stored)
    _record(r, Kind.ATTACHED, by, at, detail=names, attachments=[a.pk for a in stored])
    return stored


@transaction.atomic
def request_add_note(*, support_request: SupportRequest, by: User, body: str) -> Message:
    """An internal note: only the team ever sees it. It adds a row and changes no field of the
    request, so it neither locks out nor is locked out by a colleague's edit."""
    check_staff(by, gettext_noop("write internal notes"))
    body = _clean_text(body, field="body", what=gettext_noop("The note"))
    at = timezone.now()
    message = _message(support_request, by, body, at, internal=True)
    _record(support_request, Kind.NOTE, by, at, detail=body[:200], message=message.pk)
    return message


@transaction.atomic
def request_log_time(
    *,
    support_request: SupportRequest,
    by: User,
    minutes: int,
    note: str = "",
    worked_at: datetime.datetime | None = None,
) -> TimeEntry:
    """Time worked on the request. It draws on the community's budget of the month it was worked
    in (in the community's time zone), unless the request is an incident."""
    check_staff(by, gettext_noop("log time"))
    try:
        minutes = int(minutes)
    except (TypeError, ValueError) as exc:
        raise DomainError(gettext("Enter the time worked in minutes."), field="minutes") from exc
    if not 0 < minutes <= MAX_MINUTES_PER_ENTRY:
        raise DomainError(gettext("Log between 1 minute and 24 hours per entry."), field="minutes")
    at = timezone.now()
    worked_at = worked_at or at
    if worked_at > at + datetime.timedelta(minutes=5):
        raise DomainError(
            gettext("Time cannot be logged for work in the future."), field="worked_at"
        )
    r = _lock(support_request)
    counts = r.category != Category.INCIDENT
    entry = TimeEntry.objects.create(
        request=r,
        community=r.community,
        engineer=by,
        minutes=minutes,
        note=(note or "").strip()[:300],
        worked_at=worked_at,
        budget_month=month_of(worked_at, community=r.community),
        counts_against_budget=counts,
    )
    _record(
        r,
        Kind.TIME_LOGGED,
        by,
        at,
        detail=f"{minutes} min" + ("" if counts else " (incident: not on the budget)"),
        minutes=minutes,
        entry=entry.pk,
        counts_against_budget=counts,
    )
    if counts:
        # Budget use moves every open request of the community in the priority order.
        priority_recompute_for_community(community=r.community)
    return entry


@transaction.atomic
def request_link_issue(
    *,
    support_request: SupportRequest,
    by: User,
    url: str,
    send_canned: bool = True,
    expected_version: int | None = None,
) -> SupportRequest:
    """Step 5: the time-box is over, the work goes to planning. Links the engineering issue and
    tells the representative it is not an outage (the canned response)."""
    check_staff(by, gettext_noop("link engineering issues"))
    url = _clean_url(url, field="url")
    if not url:
        raise DomainError(gettext("Enter the address of the engineering issue."), field="url")
    r = _lock(support_request, expected_version)
    rules.check_link_issue(support_request=r)
    at = timezone.now()
    previous = r.engineering_issue_url
    r.engineering_issue_url = url
    r.status = Status.PLANNED
    fields = ["engineering_issue_url", "status"]
    _record(r, Kind.ISSUE_LINKED, by, at, detail=url, url=url, previous=previous)
    emit_event("request_issue_linked", support_request=r, url=url)
    message = None
    if send_canned:
        body, canned = _canned_text(CannedResponse.Purpose.NOT_AN_OUTAGE, r, by, link=url)
        message, reply_fields = _post_public_staff_message(
            r, by=by, body=body, at=at, link_url=url, canned_response=canned
        )
        fields += reply_fields
        _record(r, Kind.REPLIED, by, at, detail=body[:200], message=message.pk)
    fields += refresh_request_deadlines(r)
    _save(r, fields)
    if message is not None:
        _email_reply(r, message, by)
    return r


@transaction.atomic
def request_set_priority(
    *,
    support_request: SupportRequest,
    by: User,
    has_dedicated_funding: bool | None = None,
    impacts_many_communities: bool | None = None,
    aligns_with_team_goals: bool | None = None,
    aligns_with_upstream_goals: bool | None = None,
    high_single_community_impact: bool | None = None,
    expected_version: int | None,
) -> SupportRequest:
    """Set the priority factors of DOMAIN.md ("Priority order"); None keeps a factor. The rank
    follows from them and the community's budget use."""
    check_staff(by, gettext_noop("prioritise requests"))
    r = _lock(support_request, expected_version)
    if r.status == Status.CLOSED:
        raise InvalidTransition(gettext("%(reference)s is closed.") % {"reference": r.reference})
    factors = {
        "has_dedicated_funding": has_dedicated_funding,
        "impacts_many_communities": impacts_many_communities,
        "aligns_with_team_goals": aligns_with_team_goals,
        "aligns_with_upstream_goals": aligns_with_upstream_goals,
        "high_single_community_impact": high_single_community_impact,
    }
    changed = {}
    for name, value in factors.items():
        if value is not None and bool(value) != getattr(r, name):
            changed[name] = bool(value)
            setattr(r, name, bool(value))
    before = r.priority_rank
    refresh_priority_rank(r)
    _save(r, [*changed, "priority_rank"])
    _record(
        r,
        Kind.PRIORITY,
        by,
        timezone.now(),
        detail=f"Rank {r.priority_rank}: {RANK_LABELS[r.priority_rank]}",
        factors=changed,
        rank=[before, r.priority_rank],
    )
    return r


@transaction.atomic
def request_resolve(
    *, support_request: SupportRequest, by: User, body: str, expected_version: int | None
) -> SupportRequest:
    """Step 7: send the resolution message and mark the request resolved; the auto-close clock
    starts. The representative must have been answered: before, or by this message."""
    check_staff(by, gettext_noop("resolve requests"))
    r = _lock(support_request, expected_version)
    rules.check_resolve(support_request=r)
    body = (body or "").strip()
    canned = None
    if not body:
        if r.first_responded_at is None:
            raise DomainError(
                gettext(
                    "Write the resolution message: the representative has not had an answer yet."
                ),
                field="body",
            )
        body, canned = _canned_text(CannedResponse.Purpose.RESOLUTION, r, by)
    else:
        refuse_unfilled(body)  # what the steward wrote, often from a canned response
    at = timezone.now()
    message, fields = _post_public_staff_message(r, by=by, body=body, at=at, canned_response=canned)
    r.status = Status.RESOLVED
    r.resolved_at = at
    fields += ["status", "resolved_at"]
    fields += refresh_request_deadlines(r)
    _save(r, fields)
    _record(r, Kind.RESOLVED, by, at, detail=body[:200], message=message.pk)
    with translation.override(language_for(r.requester)):
        subject = gettext("Resolved: %(subject)s") % {"subject": r.subject}
        closing = gettext(
            "If it works for you, please confirm on the request page. If not, reply there and "
            "the request reopens. Without a reply we close it after two working days."
        )
    notify(
        key=f"request:{r.pk}:resolved:{at.isoformat()}",
        kind="request_resolved",
        subject=_subject(r, subject),
        body=f"{body}\n\n{closing}",
        user=r.requester,
        url=_rep_url(r),
        support_request=r,
    )
    emit_event("request_resolved", support_request=r)
    return r


@transaction.atomic
def request_confirm(*, support_request: SupportRequest, by: User) -> SupportRequest:
    """Step 8: the representative confirms the resolution; the request is closed."""
    r = _lock(support_request)
    rules.check_confirm(user=by, support_request=r)
    at = timezone.now()
    r.status = Status.CLOSED
    r.closed_at = at
    fields = ["status", "closed_at", *refresh_request_deadlines(r)]
    _save(r, fields)
    _record(r, Kind.CONFIRMED, by, at, detail="Resolution confirmed by the representative")
    return r


@transaction.atomic
def request_close(
    *, support_request: SupportRequest, by: User, expected_version: int | None = None
) -> SupportRequest:
    """A steward closes a request that was triaged and answered (resolved or not)."""
    check_staff(by, gettext_noop("close requests"))
    r = _lock(support_request, expected_version)
    rules.check_close(support_request=r)
    at = timezone.now()
    fields = _mark_closed(r, at=at)
    _save(r, fields)
    _record(r, Kind.CLOSED, by, at, detail="Closed")
    return r


@transaction.atomic
def request_auto_close(*, support_request: SupportRequest) -> SupportRequest:
    """A resolved request whose auto-close deadline has passed closes by itself: the closing
    canned response is posted and e-mailed to the representative (once: its key)."""
    r = _lock(support_request)
    at = timezone.now()
    rules.check_auto_close(support_request=r, now=at)
    fields = _mark_closed(r, at=at)
    body, canned = _canned_text(CannedResponse.Purpose.CLOSING, r, r.assignee)
    _message(r, None, body, at, canned_response=canned)  # no answer: clocks are done
    _save(r, fields)
    _record(
        r,
        Kind.AUTO_CLOSED,
        None,
        at,
        detail="No reply from the representative within the auto-close time",
    )
    with translation.override(language_for(r.requester)):
        subject = gettext("Closed: %(subject)s") % {"subject": r.subject}
    notify(
        key=f"request:{r.pk}:closed",
        kind="request_closed",
        subject=_subject(r, subject),
        body=body,
        user=r.requester,
        url=_rep_url(r),
        support_request=r,
    )
    return r


def _mark_closed(r: SupportRequest, *, at: datetime.datetime) -> list[str]:
    """The request ends now (a request closed without a resolution step, e.g. a duplicate, is
    resolved now too); its clocks stop. Returns the changed fields, for the caller's save."""
    fields = ["status", "closed_at"]
    if r.resolved_at is None:
        r.resolved_at = at
        fields.append("resolved_at")
    r.status = Status.CLOSED
    r.closed_at = at
    return fields + refresh_request_deadlines(r)


@transaction.atomic
def request_close_as_duplicate(
    *,
    support_request: SupportRequest,
    by: User,
    original: SupportRequest,
    expected_version: int | None = None,
) -> SupportRequest:
    """Close a request as a duplicate of `original`, another request of the same community
    (whose representative can follow it there). The representative is told where the work goes
    on, in a public reply (which answers them); an untriaged duplicate takes the original's
    category."""
    check_staff(by, gettext_noop("close requests"))
    r = _lock(support_request, expected_version)
    if r.status == Status.CLOSED:
        raise InvalidTransition(
            gettext("%(reference)s is already closed.") % {"reference": r.reference}
        )
    if original.pk == r.pk:
        raise DomainError(
            gettext("%(reference)s cannot be a duplicate of itself.") % {"reference": r.reference},
            field="duplicate_of",
        )
    if original.community_id != r.community_id:
        raise DomainError(
            gettext(
                "%(original)s belongs to another community: %(community)s's representative could "
                "not follow it there."
            )
            % {"original": original.reference, "community": r.community},
            field="duplicate_of",
        )
    if original.status == Status.CLOSED:
        raise DomainError(
            gettext("%(original)s is closed: choose an open request to continue in.")
            % {"original": original.reference},
            field="duplicate_of",
        )
    at = timezone.now()
    fields = ["duplicate_of"]
    if r.status == Status.NEW:
        if not original.category:
            raise InvalidTransition(
                gettext(
                    "Triage %(original)s or %(reference)s first: a closed request needs a category."
                )
                % {"original": original.reference, "reference": r.reference}
            )
        r.category = original.category
        r.triaged_at = at
        fields += ["category", "triaged_at"]
    with translation.override(language_for(r.requester)):  # the representative reads it
        body = gettext(
            "This request duplicates %(reference)s (%(subject)s). We continue there, so please "
            "follow and reply on %(reference)s: %(url)s"
        ) % {
            "reference": original.reference,
            "subject": original.subject,
            "url": absolute_url(_rep_url(original)),
        }
    message, message_fields = _post_public_staff_message(r, by=by, body=body, at=at)
    fields += message_fields
    r.duplicate_of = original
    fields += _mark_closed(r, at=at)
    _save(r, fields)
    _record(
        r,
        Kind.CLOSED,
        by,
        at,
        detail=f"Closed as a duplicate of {original.reference}",
        duplicate_of=original.pk,
        message=message.pk,
    )
    _email_reply(r, message, by)
    return r


def request_auto_close_due(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """Close the resolved requests whose auto-close deadline has passed. One transaction per
    request, so one failure does not undo the others; rows another worker holds are skipped,
    and a closed request no longer matches, so running it twice closes (and e-mails) once."""
    now = now or timezone.now()
    candidates = list(
        SupportRequest.objects.filter(status=Status.RESOLVED, auto_close_due_at__lte=now)
        .order_by("auto_close_due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    closed = 0
    for pk in candidates:
        with transaction.atomic():
            r = (
                SupportRequest.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=pk, status=Status.RESOLVED, auto_close_due_at__lte=now)
                .first()
            )
            if r is None:
                continue
            request_auto_close(support_request=r)
            closed += 1
    return closed


@transaction.atomic
def request_link_incident(
    *, support_request: SupportRequest, incident, by: User | None
) -> SupportRequest:
    """For the incidents app: the request turned out to be (part of) an incident. It becomes an
    incident-category request (rank 0, incident clocks, its time off the budget)."""
    check_staff(by, gettext_noop("declare incidents"))
    r = _lock(support_request)
    rules.check_link_incident(support_request=r)
    at = timezone.now()
    fields = ["incident", "category", "priority_rank"]
    r.incident = incident
    flipped = 0
    if r.category != Category.INCIDENT:
        # Incident work never draws on the budget, including time logged before.
        flipped = TimeEntry.objects.filter(request=r).update(counts_against_budget=False)
        budgets_changed()  # update() sends no signal
    r.category = Category.INCIDENT
    if r.status == Status.NEW:
        r.status = Status.TRIAGED
        r.triaged_at = at
        fields += ["status", "triaged_at"]
    fields += refresh_request_deadlines(r)
    refresh_priority_rank(r)
    _save(r, fields)
    _record(r, Kind.INCIDENT_DECLARED, by, at, detail=f"Incident: {incident}", incident=incident.pk)
    if flipped:
        priority_recompute_for_community(community=r.community)
    return r


def canned_response_render(
    *,
    canned: CannedResponse,
    support_request: SupportRequest,
    by: User,
    context: str = "",
    link: str = "",
) -> str:
    """The canned response with its placeholders filled for this request, for the steward to
    edit before sending. Placeholders without a value are left in braces."""
    return fill_placeholders(
        canned.body, _placeholder_values(support_request, by, context=context, link=link)
    )
