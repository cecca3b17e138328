"""GitHub: engineering issues opened from the desk, and their state kept up to date.

- `github_issue_open_for_request` / `github_issue_open_for_incident` create an issue (githubkit,
  a GitHub App installation or a fine-grained token from settings) in the community's repository
  (IssueRepository) or GITHUB_REPOSITORY, labelled GITHUB_SUPPORT_LABEL or
  GITHUB_INCIDENT_LABEL, with a body that links back to the desk and carries internal notes only
  when the steward ticked them. A request's issue is stored as today's engineering-issue link
  (tickets.services.request_link_issue, which also moves it to work planning).
- Any issue URL that reaches the desk (pasted as a request's engineering issue, an action item's
  follow-up, a fix's pull request in an incident timeline) is recognised and followed the same
  way (`github_links_track`).
- `github_webhook_receive` acts on GitHub's `issues` and `pull_request` events (the view checks
  X-Hub-Signature-256 and de-duplicates X-GitHub-Delivery first): the issue's state (open,
  closed, merged) is stored; an incident following the issue gets a timeline entry; an action
  item whose follow-up issue closed is marked done (and undone if it reopens)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.roles import is_staff_member
from incidents.models import TimelineEntry
from incidents.services import action_items, live_log
from integrations.models import GitHubDelivery, GitHubIssue, GitHubIssueLink, IssueRepository
from supportdesk.celery import app
from supportdesk.errors import DomainError, PermissionDenied
from tickets import services as tickets_services
from tickets.models import Message, SupportRequest

logger = logging.getLogger(__name__)


class GitHubNotConfigured(DomainError):
    status_code = 503


class GitHubUnavailable(DomainError):
    status_code = 502


@dataclass(frozen=True)
class IssueRef:
    repository: str  # owner/name, lower case
    number: int
    is_pull_request: bool


def _web_url() -> str:
    return settings.GITHUB_WEB_URL.rstrip("/")


def issue_ref_from_url(url: str) -> IssueRef | None:
    """https://github.com/<owner>/<name>/issues/<n> or /pull/<n> (GITHUB_WEB_URL's host)."""
    pattern = (
        re.escape(_web_url())
        + r"/(?P<owner>[\w.-]+)/(?P<name>[\w.-]+)/(?P<kind>issues|pull)/(?P<number>\d+)"
        + r"(?:[/?#].*)?$"
    )
    match = re.match(pattern, (url or "").strip(), flags=re.IGNORECASE)
    if not match:
        return None
    return IssueRef(
        repository=f"{match['owner']}/{match['name']}".lower(),
        number=int(match["number"]),
        is_pull_request=match["kind"].lower() == "pull",
    )


def github_configured() -> bool:
    return bool(settings.GITHUB_TOKEN or settings.GITHUB_APP_ID)


def _client():
    from githubkit import AppInstallationAuthStrategy, GitHub  # noqa: PLC0415 - githubkit takes about a second to import; loaded on first GitHub call

    if settings.GITHUB_APP_ID:
        auth = AppInstallationAuthStrategy(
            app_id=settings.GITHUB_APP_ID,
            private_key=settings.GITHUB_APP_PRIVATE_KEY,
            installation_id=settings.GITHUB_APP_INSTALLATION_ID,
        )
    elif settings.GITHUB_TOKEN:
        auth = settings.GITHUB_TOKEN
    else:
        raise GitHubNotConfigured(
            gettext(
                "GitHub is not configured: set GITHUB_TOKEN, or a GitHub App (GITHUB_APP_ID, "
                "GITHUB_APP_PRIVATE_KEY, GITHUB_APP_INSTALLATION_ID)."
            )
        )
    return GitHub(
        auth,
        base_url=settings.GITHUB_API_URL,
        timeout=settings.GITHUB_TIMEOUT_SECONDS,
        http_cache=False,
        auto_retry=False,
        user_agent="supportdesk",
    )


def repository_for(community) -> str:
    if community is not None:
        own = IssueRepository.objects.filter(community=community).first()
        if own:
            return own.repository
    if not settings.GITHUB_REPOSITORY:
        raise GitHubNotConfigured(
            gettext(
                "No repository for engineering issues: set GITHUB_REPOSITORY or give the "
                "community one in admin (Issue repositories)."
            )
        )
    return settings.GITHUB_REPOSITORY


def _create_issue(*, repository: str, title: str, body: str, label: str) -> dict:
    """POST /repos/{owner}/{repo}/issues. Returns GitHub's issue (number, html_url, state)."""
    from githubkit.exception import GitHubException, RequestFailed  # noqa: PLC0415 - githubkit takes about a second to import; loaded on first GitHub call

    owner, _, name = repository.partition("/")
    try:
        with _client() as github:
            response = github.rest.issues.create(
                owner, name, title=title[:250], body=body, labels=[label]
            )
            issue = response.parsed_data
    except RequestFailed as exc:
        raise GitHubUnavailable(
            gettext(
                "GitHub refused to create the issue in %(repository)s (%(status)s): %(message)s"
            )
            % {
                "repository": repository,
                "status": exc.response.status_code,
                "message": _github_message(exc),
            }
        ) from exc
    except GitHubException as exc:
        raise GitHubUnavailable(
            gettext("GitHub could not be reached: %(error)s") % {"error": exc}
        ) from exc
    return {"number": issue.number, "html_url": issue.html_url, "state": issue.state}


def _github_message(exc) -> str:
    try:
        return str(exc.response.json().get("message", ""))[:200]
    except ValueError:
        return ""


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _track(*, html_url: str, state: str = "", title: str = "", **target) -> GitHubIssue | None:
    ref = issue_ref_from_url(html_url)
    if ref is None:
        return None
    issue, created = GitHubIssue.objects.get_or_create(
        repository=ref.repository,
        number=ref.number,
        defaults={
            "is_pull_request": ref.is_pull_request,
            "html_url": html_url,
            "title": title[:300],
            "state": state or GitHubIssue.State.UNKNOWN,
            "state_changed_at": timezone.now() if state else None,
        },
    )
    try:
        with transaction.atomic():
            GitHubIssueLink.objects.get_or_create(issue=issue, **target)
    except IntegrityError:
        pass  # followed already
    if created and not state:
        transaction.on_commit(lambda: _enqueue_refresh(issue.pk))
    return issue


def github_links_track(*, url: str, support_request=None, incident=None, action_item=None) -> bool:
    """Follow the issue or pull request at `url` for this request, incident or action item, if
    it is a GitHub URL. Its current state is fetched after commit (when GitHub is configured)
    and then kept up to date by the webhook. Returns whether the URL was recognised."""
    target = {"request": support_request, "incident": incident, "action_item": action_item}
    target = {k: v for k, v in target.items() if v is not None}
    if len(target) != 1:
        raise ValueError("follow a GitHub URL for exactly one request, incident or action item")
    if support_request is not None:
        # A request has one engineering issue: a new URL replaces the one followed before.
        GitHubIssueLink.objects.filter(request=support_request).exclude(
            issue__html_url__iexact=url
        ).delete()
    return _track(html_url=url, **target) is not None


def _enqueue_refresh(issue_id: int) -> None:
    if not github_configured():
        return
    from integrations.tasks import github_issue_refresh  # noqa: PLC0415 - import cycle: integrations.tasks imports this module

    try:
        if app.conf.task_always_eager:
            github_issue_refresh.apply(args=[issue_id])
        else:
            github_issue_refresh.delay(issue_id)
    except Exception:  # the broker being down must never fail the caller
        logger.exception("could not enqueue the refresh of GitHub issue %s", issue_id)


def github_issue_refresh(*, issue_id: int) -> str:
    """Fetch a followed issue's state (a pasted URL: the webhook only tells us about changes)."""
    from githubkit.exception import GitHubException  # noqa: PLC0415 - githubkit takes about a second to import; loaded on first GitHub call

    issue = GitHubIssue.objects.get(pk=issue_id)
    owner, _, name = issue.repository.partition("/")
    try:
        with _client() as github:
            if issue.is_pull_request:
                data = github.rest.pulls.get(owner, name, issue.number).json()
            else:
                data = github.rest.issues.get(owner, name, issue.number).json()
    except GitHubException as exc:
        logger.warning("could not fetch %s: %s", issue, exc)
        return issue.state
    state = _state_of(data)
    GitHubIssue.objects.filter(pk=issue.pk).update(
        state=state, title=str(data.get("title", ""))[:300], state_changed_at=timezone.now()
    )
    return state


def _state_of(data: dict) -> str:
    if data.get("merged") or (data.get("pull_request") or {}).get("merged_at"):
        return GitHubIssue.State.MERGED
    if data.get("state") == "closed":
        return GitHubIssue.State.CLOSED
    return GitHubIssue.State.OPEN


# --- Opening issues from the desk -------------------------------------------------------------
def github_issue_open_for_request(
    *, support_request, by, include_internal_notes: bool = False, send_canned: bool = True
):
    """Create the request's engineering issue (label "support") and link it as the request's
    engineering issue (the request enters work planning; the representative is told unless
    `send_canned` is off)."""
    if not is_staff_member(by):
        raise PermissionDenied(gettext("Only the support team opens engineering issues."))
    if support_request.category == SupportRequest.Category.INCIDENT:
        raise DomainError(
            gettext("Open the engineering issue from the incident, not from its request.")
        )
    if support_request.status not in (SupportRequest.Status.TRIAGED, SupportRequest.Status.PLANNED):
        raise DomainError(
            gettext("%(reference)s must be triaged and open to get an issue.")
            % {"reference": support_request.reference}
        )
    if GitHubIssueLink.objects.filter(request=support_request).exists():
        raise DomainError(
            gettext("%(reference)s already has an engineering issue.")
            % {"reference": support_request.reference}
        )
    repository = repository_for(support_request.community)
    desk = _absolute(reverse("tickets:desk_request", args=[support_request.pk]))
    parts = [
        f"**{support_request.reference}** from {support_request.community}"
        + (f" ({support_request.hub})" if support_request.hub_id else "")
        + f": {desk}",
        support_request.description,
    ]
    if include_internal_notes:
        notes = support_request.messages.filter(visibility=Message.Visibility.INTERNAL).order_by(
            "created_at"
        )
        for note in notes:
            parts.append(f"Internal note ({note.created_at:%Y-%m-%d %H:%M} UTC):\n\n{note.body}")
    created = _create_issue(
        repository=repository,
        title=f"[{support_request.reference}] {support_request.subject}",
        body="\n\n---\n\n".join(parts),
        label=settings.GITHUB_SUPPORT_LABEL,
    )
    with transaction.atomic():
        _track(
            html_url=created["html_url"],
            state=GitHubIssue.State.OPEN,
            title=support_request.subject,
            request=support_request,
        )
        tickets_services.request_link_issue(
            support_request=support_request, by=by, url=created["html_url"], send_canned=send_canned
        )
    return created["html_url"]


def github_issue_open_for_incident(*, incident, by, include_internal_notes: bool = False) -> str:
    """Create an engineering issue for an incident (the incident label), with its public
    timeline, and record it in the incident's timeline."""
    if not is_staff_member(by):
        raise PermissionDenied(gettext("Only the support team opens engineering issues."))
    if not incident.is_open:
        raise DomainError(
            gettext("%(reference)s is no longer open.") % {"reference": incident.reference}
        )
    hubs = list(incident.hubs.select_related("community"))
    communities = {h.community_id: h.community for h in hubs}
    repository = repository_for(next(iter(communities.values())) if len(communities) == 1 else None)
    link = _absolute(reverse("incidents:detail", args=[incident.pk]))
    entries = incident.timeline.order_by("occurred_at", "pk")
    if not include_internal_notes:
        entries = entries.filter(is_public=True)
    lines = [
        f"- {e.occurred_at:%Y-%m-%d %H:%M} UTC{'' if e.is_public else ' (internal)'}: {e.body}"
        for e in entries
    ]
    body = (
        f"**{incident.reference}** ({incident.get_severity_display().lower()}) on "
        f"{', '.join(h.name for h in hubs)}: {link}\n\n"
        + (f"{incident.summary}\n\n" if incident.summary else "")
        + "Timeline:\n\n"
        + "\n".join(lines)
    )
    created = _create_issue(
        repository=repository,
        title=f"[{incident.reference}] {incident.title}",
        body=body,
        label=settings.GITHUB_INCIDENT_LABEL,
    )
    with transaction.atomic():
        _track(
            html_url=created["html_url"],
            state=GitHubIssue.State.OPEN,
            title=incident.title,
            incident=incident,
        )
        live_log.incident_add_timeline_entry(
            incident=incident,
            by=by,
            kind=TimelineEntry.Kind.ACTION,
            body=f"Engineering issue opened: {repository}#{created['number']}",
            link_url=created["html_url"],
        )
    return created["html_url"]


# --- GitHub's webhooks ------------------------------------------------------------------------
def github_signature_valid(*, body: bytes, signature: str) -> bool:
    from githubkit.webhooks import verify  # noqa: PLC0415 - githubkit takes about a second to import; loaded on first GitHub call

    secret = settings.GITHUB_WEBHOOK_SECRET
    if not secret or not signature:
        return False
    return verify(secret, body, signature)


def github_webhook_receive(*, delivery_id: str, event: str, payload: dict) -> str:
    """Act on one verified delivery, once: a redelivered id changes nothing. Returns what
    happened (also stored on the delivery row)."""
    action = str(payload.get("action", ""))[:50]
    with transaction.atomic():
        try:
            with transaction.atomic():
                delivery = GitHubDelivery.objects.create(
                    delivery_id=delivery_id[:100],
                    event=event[:50],
                    action=action,
                    received_at=timezone.now(),
                )
        except IntegrityError:
            return "duplicate delivery: ignored"
        if event == "issues":
            outcome = _on_issue(payload.get("issue") or {}, action)
        elif event == "pull_request":
            outcome = _on_pull_request(payload.get("pull_request") or {}, action, payload)
        else:
            outcome = f"{event} events are not used"
        delivery.outcome = outcome[:300]
        delivery.save(update_fields=["outcome"])
    return outcome


def _find(repository: str, number) -> GitHubIssue | None:
    try:
        number = int(number)
    except (TypeError, ValueError):
        return None
    return (
        GitHubIssue.objects.select_for_update()
        .filter(repository=repository.lower(), number=number)
        .first()
    )


def _repository_of(item: dict, payload: dict | None = None) -> str:
    repo = (payload or {}).get("repository") or {}
    if repo.get("full_name"):
        return str(repo["full_name"]).lower()
    ref = issue_ref_from_url(str(item.get("html_url", "")))
    return ref.repository if ref else ""


def _set_state(issue: GitHubIssue, state: str, title: str) -> bool:
    changed = issue.state != state
    issue.state = state
    issue.title = (title or issue.title)[:300]
    if changed:
        issue.state_changed_at = timezone.now()
    issue.save(update_fields=["state", "title", "state_changed_at"])
    return changed


def _on_issue(item: dict, action: str) -> str:
    issue = _find(_repository_of(item), item.get("number"))
    if issue is None:
        return "issue not followed"
    state = _state_of(item)
    changed = _set_state(issue, state, str(item.get("title", "")))
    if not changed:
        return f"{issue}: still {state}"
    _tell_followers(issue, what=f"Issue {issue} {_verb(state)}: {issue.title}")
    return f"{issue}: {state}"


PR_REFERENCE = re.compile(
    r"(?:(?P<repo>[\w.-]+/[\w.-]+)#(?P<n1>\d+))|(?:(?<![\w/])#(?P<n2>\d+))|"
    r"(?:/(?P<repo2>[\w.-]+/[\w.-]+)/issues/(?P<n3>\d+))"
)


def _referenced_issues(text: str, repository: str) -> list[tuple[str, int]]:
    found = []
    for m in PR_REFERENCE.finditer(text or ""):
        if m["n1"]:
            found.append((m["repo"].lower(), int(m["n1"])))
        elif m["n2"]:
            found.append((repository, int(m["n2"])))
        elif m["n3"]:
            found.append((m["repo2"].lower(), int(m["n3"])))
    return list(dict.fromkeys(found))


def _on_pull_request(pr: dict, action: str, payload: dict) -> str:
    repository = _repository_of(pr, payload)
    state = _state_of(pr)
    title = str(pr.get("title", ""))
    outcomes = []
    own = _find(repository, pr.get("number"))
    if own is not None and _set_state(own, state, title):
        _tell_followers(own, what=f"Pull request {own} {_verb(state)}: {own.title}")
        outcomes.append(f"{own}: {state}")
    if action in ("opened", "closed", "reopened", "ready_for_review"):
        # A pull request that references a followed issue ("Fixes #12") is news for the
        # incidents that follow the issue, though its own state is not the issue's.
        label = f"{repository}#{pr.get('number')}"
        for repo, number in _referenced_issues(f"{title}\n{pr.get('body') or ''}", repository):
            issue = _find(repo, number)
            if issue is None or issue == own:
                continue
            verb = _verb(state) if action != "opened" else "opened"
            _tell_followers(
                issue,
                what=f"Pull request {label} referencing {issue} {verb}: {title}",
                link=str(pr.get("html_url", "")),
                only_incidents=True,
            )
            outcomes.append(f"{label} references {issue}")
    return "; ".join(outcomes) or "pull request not followed"


def _verb(state: str) -> str:
    return {"open": "reopened", "closed": "closed", "merged": "merged"}.get(state, state)


def _tell_followers(
    issue: GitHubIssue, *, what: str, link: str = "", only_incidents: bool = False
) -> None:
    links = issue.links.select_related("incident", "action_item")
    for followed in links:
        if followed.incident_id:
            live_log.incident_record_external_change(
                incident=followed.incident, body=what, link_url=link or issue.html_url
            )
        elif followed.action_item_id and not only_incidents:
            action_items.action_item_follow_up_changed(
                item=followed.action_item,
                done=issue.state in (GitHubIssue.State.CLOSED, GitHubIssue.State.MERGED),
            )


def issue_states_for(*, urls) -> dict[str, GitHubIssue]:
    """{url: followed issue} for the URLs among `urls` that the desk follows (one query)."""
    refs = {url: issue_ref_from_url(url) for url in urls if url}
    refs = {url: ref for url, ref in refs.items() if ref}
    if not refs:
        return {}

    query = Q()
    for ref in refs.values():
        query |= Q(repository=ref.repository, number=ref.number)
    found = {(i.repository, i.number): i for i in GitHubIssue.objects.filter(query)}
    return {
        url: found[(ref.repository, ref.number)]
        for url, ref in refs.items()
        if (ref.repository, ref.number) in found
    }
