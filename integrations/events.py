"""The one place the domain tells the outside world that something happened.

The services of tickets, incidents and availability announce events with
`supportdesk.events.emit` inside the transaction that made the event happen; `receive` (connected
in integrations/apps.py) calls the function of the same name here, which fans the event out to
every integration that wants it (outgoing webhooks, Slack, status-page subscribers). Everything
they send is claimed by a unique key in that transaction, so a rolled-back change sends nothing
and a repeated event sends nothing twice.

Event ids are derived from the event itself (an incident is declared once; a request may be
resolved several times, so its resolution time is part of the id)."""

from __future__ import annotations

from django.urls import reverse

from integrations import github, payloads, slack, subscriptions, webhooks
from integrations.models import Event
from notifications.services import absolute_url
from supportdesk.zones import format_utc


def receive(sender, *, event: str, signal=None, **data) -> None:
    """The receiver of supportdesk.events.domain_event: one function below per event."""
    globals()[event](**data)


def request_created(*, support_request) -> None:
    webhooks.webhook_deliveries_create(
        event=Event.REQUEST_CREATED,
        event_id=f"request.created:{support_request.pk}",
        data=payloads.request_data(support_request),
        occurred_at=support_request.received_at,
    )
    slack.announce_request_created(support_request=support_request)


def request_resolved(*, support_request) -> None:
    webhooks.webhook_deliveries_create(
        event=Event.REQUEST_RESOLVED,
        event_id=f"request.resolved:{support_request.pk}:{support_request.resolved_at.timestamp():.0f}",
        data=payloads.request_data(support_request),
        occurred_at=support_request.resolved_at,
    )


def incident_declared(*, incident) -> None:
    key = f"incident.declared:{incident.pk}"
    hubs = _incident_webhooks(
        incident, event=Event.INCIDENT_DECLARED, event_id=key, occurred_at=incident.declared_at
    )
    slack.announce_incident_declared(incident=incident, hubs=hubs)
    _tell_subscribers(
        key=key,
        incident=incident,
        hubs=hubs,
        subject=f"Incident: {incident.title}",
        body=f"We are working on an incident affecting {_names(hubs)}: {incident.title}.",
    )


def incident_updated(*, incident, entry) -> None:
    """A community update was sent (`entry` is its public timeline entry)."""
    key = f"incident.updated:{incident.pk}:{entry.pk}"
    hubs = _incident_webhooks(
        incident,
        event=Event.INCIDENT_UPDATED,
        event_id=key,
        occurred_at=entry.occurred_at,
        update={"body": entry.body, "sent_at": entry.occurred_at},
    )
    slack.announce_in_thread(
        key=key,
        incident=incident,
        text=f"Update sent to the community on {incident.reference}:\n>{entry.body[:1500]}",
    )
    _tell_subscribers(
        key=f"incident.updated:{entry.pk}",
        incident=incident,
        hubs=hubs,
        subject=f"Update: {incident.title}",
        body=entry.body,
    )


def incident_resolved(*, incident) -> None:
    key = f"incident.resolved:{incident.pk}"
    hubs = _incident_webhooks(
        incident, event=Event.INCIDENT_RESOLVED, event_id=key, occurred_at=incident.resolved_at
    )
    slack.announce_in_thread(
        key=key,
        incident=incident,
        text=f":white_check_mark: {incident.reference} resolved: {incident.title}",
    )
    _tell_subscribers(
        key=key,
        incident=incident,
        hubs=hubs,
        subject=f"Resolved: {incident.title}",
        body=f"Service on {_names(hubs)} is back: {incident.title}.",
    )


def report_published(*, report, url: str) -> None:
    incident = report.incident
    key = f"report.published:{report.pk}"
    _incident_webhooks(
        incident,
        event=Event.REPORT_PUBLISHED,
        event_id=key,
        occurred_at=report.published_at,
        report={"url": url, "published_at": report.published_at},
    )
    slack.announce_in_thread(
        key=key,
        incident=incident,
        text=f"The report on {incident.reference} is published: {url}",
    )


def _incident_webhooks(incident, *, event: str, event_id: str, occurred_at, **extra) -> list:
    """The webhook deliveries of an incident's event, for the endpoints that follow its hubs:
    the incident's payload plus `extra` (the update, the report). Returns the hubs."""
    hubs = list(incident.hubs.all())
    data = payloads.incident_data(incident, hubs=hubs)
    data.update(extra)
    webhooks.webhook_deliveries_create(
        event=event,
        event_id=event_id,
        data=data,
        hub_ids=[h.pk for h in hubs],
        occurred_at=occurred_at,
    )
    return hubs


def maintenance_scheduled(*, window, hubs) -> None:
    hubs = list(hubs)
    webhooks.webhook_deliveries_create(
        event=Event.MAINTENANCE_SCHEDULED,
        event_id=f"maintenance.scheduled:{window.pk}",
        data=payloads.maintenance_data(window, hubs=hubs),
        hub_ids=[h.pk for h in hubs],
        occurred_at=window.created_at,
    )
    when = f"{format_utc(window.starts_at)} to {format_utc(window.ends_at)}"
    subscriptions.subscription_notices_send(
        key=f"maintenance.scheduled:{window.pk}",
        hub_ids=[h.pk for h in hubs],
        subject=f"Planned maintenance: {window.title}",
        body=f"Planned maintenance on {_names(hubs)}, {when}: {window.title}."
        + (f"\n\n{window.description}" if window.description else ""),
        link=absolute_url(reverse("availability:status")),
    )


def _names(hubs) -> str:
    return ", ".join(h.name for h in hubs)


def _tell_subscribers(*, key: str, incident, hubs, subject: str, body: str) -> None:
    subscriptions.subscription_notices_send(
        key=key,
        hub_ids=[h.pk for h in hubs],
        subject=subject,
        body=body,
        link=absolute_url(reverse("availability:incident", args=[incident.pk])),
    )


def request_issue_linked(*, support_request, url: str) -> None:
    """An engineering issue was linked to a request (opened from the desk or pasted by hand):
    follow it when it is on GitHub."""
    github.github_links_track(url=url, support_request=support_request)


def incident_link_added(*, incident, url: str) -> None:
    """A timeline entry links an issue or pull request: follow it for the incident."""
    if url:
        github.github_links_track(url=url, incident=incident)


def action_item_added(*, item) -> None:
    """An action item's follow-up issue: followed, so the item is done when the issue closes."""
    github.github_links_track(url=item.follow_up_url, action_item=item)
