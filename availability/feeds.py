"""The Atom feed of the status page: incidents and maintenance windows, newest first.

Items carry public facts only (title, hubs, state, times, public updates): no authors, no
internal timeline entries, no e-mail addresses. The whole response is cached like the page."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from availability import selectors
from availability import status as rules

FEED_ITEMS = 50


@dataclass
class FeedItem:
    guid: str
    title: str
    link: str
    description: str
    published: datetime.datetime
    updated: datetime.datetime
    categories: tuple[str, ...]


def _incident_item(incident) -> FeedItem:
    updates = incident.public_updates
    changed = [incident.declared_at, incident.acknowledged_at, incident.resolved_at]
    changed += [u.occurred_at for u in updates]
    severity = "Degraded" if incident.severity == "degraded" else "Outage"
    state = "Resolved" if incident.state in ("resolved", "closed") else "Ongoing"
    return FeedItem(
        guid=f"incident-{incident.pk}",
        title=f"[{state}] {severity}: {incident.title}",
        link=reverse("availability:incident", args=[incident.pk]),
        description=render_to_string(
            "availability/feed_incident.html", {"incident": incident, "updates": updates}
        ),
        published=incident.declared_at,
        updated=max(c for c in changed if c),
        categories=("incident", incident.severity),
    )


def _window_item(window) -> FeedItem:
    hubs = ", ".join(h.name for h in window.public_hubs)
    prefix = "Cancelled maintenance" if window.cancelled_at else "Maintenance"
    return FeedItem(
        guid=f"maintenance-{window.pk}",
        title=f"{prefix}: {window.title} ({hubs})",
        link=reverse("availability:status") + f"#maintenance-{window.pk}",
        description=render_to_string("availability/feed_window.html", {"window": window}),
        published=window.created_at,
        updated=max(d for d in (window.created_at, window.cancelled_at) if d),
        categories=("maintenance",),
    )


class StatusFeed(Feed):
    feed_type = Atom1Feed
    title = "Hub status: incidents and maintenance"
    subtitle = "Incidents and planned maintenance of every hub, with their public updates."

    def link(self):
        return reverse("availability:status")

    def feed_url(self):
        return reverse("availability:feed")

    def items(self):
        incidents = [_incident_item(i) for i in selectors.feed_incidents(limit=FEED_ITEMS)]
        windows = [_window_item(w) for w in selectors.feed_windows(limit=FEED_ITEMS)]
        return sorted(incidents + windows, key=lambda i: i.updated, reverse=True)[:FEED_ITEMS]

    def item_title(self, item: FeedItem) -> str:
        return item.title

    def item_description(self, item: FeedItem) -> str:
        return item.description

    def item_link(self, item: FeedItem) -> str:
        return item.link

    def item_guid(self, item: FeedItem) -> str:
        return f"{self.site_url}{reverse('availability:status')}#{item.guid}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: FeedItem):
        return item.published

    def item_updateddate(self, item: FeedItem):
        return item.updated

    def item_categories(self, item: FeedItem):
        return item.categories

    def get_feed(self, obj, request):
        self.site_url = request.build_absolute_uri("/").rstrip("/")
        return super().get_feed(obj, request)


def status_feed(request):
    """The feed, served from the status cache (identical for every reader, so its times are
    in UTC, as it says, whoever's request built it)."""

    def build():
        with timezone.override(datetime.UTC):
            response = StatusFeed()(request)  # one instance per request: it holds the site URL
        return {"content": response.content, "content_type": response["Content-Type"]}

    cached = rules.cached(f"feed:{request.get_host()}", build)
    response = HttpResponse(cached["content"], content_type=cached["content_type"])
    response["Cache-Control"] = "public, max-age=30"
    return response
