"""Hub status derivation, the public status pages, the Atom feed and their cache."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from availability import status as rules
from availability.models import MaintenanceWindow
from availability.selectors import status_overview
from availability.services.hub_status import (
    hub_status_override_clear,
    hub_status_override_set,
    hub_status_refresh,
    on_incident_changed,
)
from communities.models import Hub
from incidents.models import Incident, IncidentReport, TimelineEntry
from incidents.services import lifecycle, live_log
from supportdesk.errors import DomainError, PermissionDenied
from tests.availability.conftest import TUESDAY
from tests.factories import HubFactory, IncidentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday")]

Status = Hub.Status
ATOM = "{http://www.w3.org/2005/Atom}"


def parse_feed(content: bytes):
    return ET.fromstring(content)  # noqa: S314 - our own feed, in a test


def window_for(hub, *, start_minutes=-30, end_minutes=60, **kwargs) -> MaintenanceWindow:
    window = MaintenanceWindow.objects.create(
        title=kwargs.pop("title", "Kubernetes upgrade"),
        starts_at=TUESDAY + datetime.timedelta(minutes=start_minutes),
        ends_at=TUESDAY + datetime.timedelta(minutes=end_minutes),
        **kwargs,
    )
    window.hubs.add(hub)
    return window


# --- the pure rule ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severities", "maintenance", "expected"),
    [
        ([], False, Status.OPERATIONAL),
        ([], True, Status.MAINTENANCE),
        (["degraded"], False, Status.DEGRADED),
        (["outage"], False, Status.OUTAGE),
        (["degraded", "outage"], False, Status.OUTAGE),
        (["degraded"], True, Status.DEGRADED),  # an incident says more than the window
        (["outage"], True, Status.OUTAGE),
    ],
)
def test_status_derivation(severities, maintenance, expected):
    assert (
        rules.derive_status(incident_severities=severities, in_maintenance=maintenance) == expected
    )


def test_override_wins_over_the_derived_status():
    assert rules.effective_status(derived=Status.OUTAGE, override=Status.OPERATIONAL) == (
        Status.OPERATIONAL
    )
    assert rules.effective_status(derived=Status.OUTAGE, override="") == Status.OUTAGE


def test_strip_day_takes_the_worst_status_of_the_day():
    dates = rules.history_dates(datetime.date(2026, 11, 24), days=3)
    noon = datetime.datetime(2026, 11, 23, 12, tzinfo=datetime.UTC)
    strip = rules.build_strip(
        dates=dates,
        spans=[
            (noon, noon + datetime.timedelta(hours=1), Status.MAINTENANCE, ""),
            (noon, noon + datetime.timedelta(hours=13), Status.OUTAGE, "INC-1"),
        ],
    )
    assert [d.status for d in strip.days] == [Status.OPERATIONAL, Status.OUTAGE, Status.OUTAGE]
    assert strip.days[1].label == "Mon 23 Nov 2026: Outage (INC-1)"
    assert strip.summary == "Last 3 days: 1 days operational, 2 outage"


# --- stored status ----------------------------------------------------------------------------


def test_open_outage_incident_makes_the_hub_an_outage(hub, declare):
    declare()
    assert hub_status_refresh(hub=hub) == Status.OUTAGE


def test_open_degraded_incident_makes_the_hub_degraded(hub, declare):
    incident = declare()
    Incident.objects.filter(pk=incident.pk).update(severity="degraded")
    assert hub_status_refresh(hub=hub) == Status.DEGRADED


def test_running_maintenance_window_puts_the_hub_under_maintenance(hub):
    window_for(hub)
    assert hub_status_refresh(hub=hub) == Status.MAINTENANCE


def test_future_or_cancelled_window_leaves_the_hub_operational(hub):
    window_for(hub, start_minutes=30, end_minutes=90)
    window_for(hub, cancelled_at=TUESDAY - datetime.timedelta(hours=1))
    assert hub_status_refresh(hub=hub) == Status.OPERATIONAL


def test_resolved_incident_returns_the_hub_to_operational(hub, declare, steward):
    incident = declare()
    on_incident_changed(incident)
    lifecycle.incident_acknowledge(incident=incident, by=steward)
    lifecycle.incident_resolve(
        incident=incident,
        by=steward,
        impact_ended_at=timezone.now(),
        verification_note="Started a server.",
    )

    on_incident_changed(incident)

    hub.refresh_from_db()
    assert hub.status == Status.OPERATIONAL


def test_status_change_is_audited(hub, declare):
    declare()
    hub_status_refresh(hub=hub)

    from availability.models import AvailabilityLog

    log = AvailabilityLog.objects.get(kind="status_changed", hub=hub)
    assert log.data == {"from": "operational", "to": "outage"}


def test_override_needs_staff_and_a_reason(hub, rep, steward):
    with pytest.raises(PermissionDenied):
        hub_status_override_set(hub=hub, by=rep, status=Status.DEGRADED, reason="x")
    with pytest.raises(DomainError):
        hub_status_override_set(hub=hub, by=steward, status=Status.DEGRADED, reason=" ")


def test_override_is_shown_with_its_reason_and_can_be_cleared(hub, steward, client, declare):
    declare()
    hub_status_override_set(
        hub=hub, by=steward, status=Status.DEGRADED, reason="Only the GPU nodes are affected."
    )

    page = client.get(reverse("availability:status")).content.decode()
    assert 'data-status="degraded"' in page
    assert "Only the GPU nodes are affected." in page

    hub_status_override_clear(hub=hub, by=steward)
    page = client.get(reverse("availability:status")).content.decode()
    assert 'data-status="outage"' in page


# --- the public page --------------------------------------------------------------------------


def test_status_page_is_public_and_lists_every_hub_with_its_status(client, hub, other_hub):
    window_for(other_hub, title="Storage migration")

    response = client.get("/status/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="hub-alpha-hub" data-status="operational"' in page
    assert 'id="hub-beta-hub" data-status="maintenance"' in page
    assert "Storage migration" in page
    assert "1 of 2 hubs is not fully operational." in page


def test_status_page_shows_open_incident_with_public_updates(client, hub, declare, steward):
    incident = declare(title="Servers do not start")
    live_log.incident_add_timeline_entry(
        incident=incident,
        by=steward,
        kind=TimelineEntry.Kind.COMMUNICATION,
        body="We are rolling back the image.",
        is_public=True,
    )
    on_incident_changed(incident)

    page = client.get("/status/").content.decode()

    assert "Servers do not start" in page
    assert "We are rolling back the image." in page
    assert 'data-status="outage"' in page


def test_status_page_shows_scheduled_maintenance(client, hub):
    window_for(hub, start_minutes=24 * 60, end_minutes=26 * 60, title="Node pool resize")

    page = client.get("/status/").content.decode()

    assert "Node pool resize" in page and "Scheduled" in page
    assert 'data-status="operational"' in page


def test_status_page_links_published_reports(client, hub, steward):
    incident = IncidentFactory(
        state="resolved",
        declared_at=TUESDAY - datetime.timedelta(days=3),
        impact_started_at=TUESDAY - datetime.timedelta(days=3),
        resolved_at=TUESDAY - datetime.timedelta(days=2),
        impact_ended_at=TUESDAY - datetime.timedelta(days=2),
    )
    incident.hubs.add(hub)
    report = IncidentReport.objects.create(
        incident=incident,
        review_state="reviewed",
        reviewed_at=TUESDAY,
        published_at=TUESDAY,
    )

    page = client.get("/status/").content.decode()

    assert reverse("incidents:report_public", args=[report.pk]) in page
    assert "Past incidents" in page and incident.title in page


def test_strip_shows_the_outage_day_of_a_past_incident(client, hub):
    incident = IncidentFactory(
        state="resolved",
        declared_at=TUESDAY - datetime.timedelta(days=10),
        impact_started_at=TUESDAY - datetime.timedelta(days=10),
        resolved_at=TUESDAY - datetime.timedelta(days=10, hours=-2),
        impact_ended_at=TUESDAY - datetime.timedelta(days=10, hours=-1),
    )
    incident.hubs.add(hub)

    overview = status_overview()

    [row] = overview.hub_rows
    assert row.status == Status.OPERATIONAL
    assert row.strip.counts[Status.OUTAGE] == 1
    [(position, day)] = row.strip.eventful_days
    assert position == 89 - 10 and day.date == datetime.date(2026, 11, 14)
    page = client.get("/status/").content.decode()
    assert "Sat 14 Nov 2026: Outage (INC-" in page


def test_inactive_hubs_are_not_listed(client, community):
    HubFactory(community=community, name="Retired Hub", slug="retired", is_active=False)

    assert "Retired Hub" not in client.get("/status/").content.decode()


INTERNAL_NOTE = "SECRET-INTERNAL: the root password is in vault"


@pytest.fixture
def incident_with_internal_things(hub, declare, steward):
    """An open incident with an internal note and a public update, declared by a steward whose
    e-mail address must never reach a public page."""
    steward.email = "ann.private@example.org"
    steward.save()
    incident = declare(title="Kernels do not start", summary="SUMMARY-INTERNAL node pool")
    live_log.incident_add_timeline_entry(
        incident=incident, by=steward, kind=TimelineEntry.Kind.NOTE, body=INTERNAL_NOTE
    )
    live_log.incident_add_timeline_entry(
        incident=incident,
        by=steward,
        kind=TimelineEntry.Kind.COMMUNICATION,
        body="PUBLIC-UPDATE: we found the cause.",
        is_public=True,
    )
    on_incident_changed(incident)
    return incident


@pytest.mark.parametrize(
    "url",
    ["/status/", "/status/hubs/alpha-hub/", "incident", "/status/feed/"],
)
def test_public_pages_contain_nothing_internal(client, url, incident_with_internal_things, steward):
    incident = incident_with_internal_things
    if url == "incident":
        url = reverse("availability:incident", args=[incident.pk])

    response = client.get(url)

    assert response.status_code == 200
    content = response.content.decode()
    assert "PUBLIC-UPDATE: we found the cause." in content
    assert "Kernels do not start" in content
    assert "SECRET-INTERNAL" not in content
    assert "SUMMARY-INTERNAL" not in content
    assert "ann.private@example.org" not in content
    assert "@example.org" not in content
    assert steward.display_name not in content  # no author names either
    assert "Declared by" not in content  # the declaration's internal note


def test_logged_in_staff_see_the_same_public_page(client, steward, incident_with_internal_things):
    client.force_login(steward)

    content = client.get("/status/").content.decode()

    assert "SECRET-INTERNAL" not in content and "PUBLIC-UPDATE" in content
    assert "ann.private@example.org" not in content


def test_hub_page_lists_the_eventful_days_in_words(client, hub):
    window = window_for(hub, start_minutes=-3 * 24 * 60, end_minutes=-3 * 24 * 60 + 60)

    response = client.get(reverse("availability:hub", args=[hub.slug]))

    assert response.status_code == 200
    assert f"{window.starts_at:%a %d %b %Y}: Under maintenance" in response.content.decode()


def test_unknown_hub_and_incident_pages_are_404(client, db):
    assert client.get("/status/hubs/nope/").status_code == 404
    assert client.get("/status/incidents/999/").status_code == 404


# --- caching ----------------------------------------------------------------------------------


def test_status_page_query_count_does_not_grow_with_hubs(
    client, community, declare, django_assert_max_num_queries
):
    for n in range(3):
        HubFactory(community=community, slug=f"small-{n}")
    declare()
    with django_assert_max_num_queries(12) as small:
        client.get("/status/")
    for n in range(15):
        hub = HubFactory(community=community, slug=f"big-{n}")
        window_for(hub)
        IncidentFactory().hubs.add(hub)
    rules.invalidate()

    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/status/")


def test_cached_status_page_runs_no_queries(client, hub, django_assert_num_queries):
    client.get("/status/")

    with django_assert_num_queries(0):
        response = client.get("/status/")

    assert response.status_code == 200
    assert "public" in response["Cache-Control"] and "max-age=30" in response["Cache-Control"]


def test_incident_change_refreshes_the_cached_page(client, hub, declare):
    assert 'data-status="operational"' in client.get("/status/").content.decode()

    incident = declare()
    on_incident_changed(incident)

    assert 'data-status="outage"' in client.get("/status/").content.decode()


def test_declaring_an_incident_refreshes_the_cached_page(
    client, hub, declare, django_capture_on_commit_callbacks
):
    client.get("/status/")
    with django_capture_on_commit_callbacks(execute=True):  # the declaration commits
        declare()

    assert 'data-status="operational"' not in client.get("/status/").content.decode()


def test_a_write_that_bypasses_the_services_is_served_from_the_cache(client, hub):
    """Shows that the cache is real: the page changes only when told (or after the TTL)."""
    from communities.models import Hub

    client.get("/status/")
    Hub.objects.filter(pk=hub.pk).update(
        status_override="outage", status_override_reason="Bypassed the services"
    )

    assert "Bypassed the services" not in client.get("/status/").content.decode()


def test_maintenance_change_refreshes_the_cached_page(client, hub, steward):
    from availability.services.maintenance import maintenance_schedule

    client.get("/status/")
    maintenance_schedule(
        by=steward,
        hubs=[hub],
        title="Database upgrade",
        starts_at=TUESDAY + datetime.timedelta(days=5),
        ends_at=TUESDAY + datetime.timedelta(days=5, hours=1),
        accept_warnings=True,
    )

    assert "Database upgrade" in client.get("/status/").content.decode()


def test_conditional_get_answers_304(client, hub):
    etag = client.get("/status/")["ETag"]

    response = client.get("/status/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304


def test_logged_in_pages_are_private(client, hub, rep):
    client.force_login(rep)

    response = client.get("/status/")

    assert "private" in response["Cache-Control"]
    assert "ETag" not in response


# --- the feed ---------------------------------------------------------------------------------


def test_feed_is_atom_with_incidents_and_maintenance(client, hub, declare, steward):
    incident = declare(title="Login fails")
    live_log.incident_add_timeline_entry(
        incident=incident,
        by=steward,
        kind=TimelineEntry.Kind.COMMUNICATION,
        body="Identity provider is down.",
        is_public=True,
    )
    window_for(hub, start_minutes=60 * 24, end_minutes=60 * 25, title="Node upgrade")
    on_incident_changed(incident)

    response = client.get(reverse("availability:feed"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = parse_feed(response.content)
    entries = root.findall(f"{ATOM}entry")
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert "[Ongoing] Outage: Login fails" in titles
    assert "Maintenance: Node upgrade (Alpha Hub)" in titles
    incident_entry = entries[titles.index("[Ongoing] Outage: Login fails")]
    assert "Identity provider is down." in incident_entry.find(f"{ATOM}summary").text
    link = incident_entry.find(f"{ATOM}link").get("href")
    assert link.endswith(reverse("availability:incident", args=[incident.pk]))
    assert root.find(f"{ATOM}author") is None
    assert all(e.find(f"{ATOM}author") is None for e in entries)


def test_feed_marks_resolved_incidents_and_cancelled_windows(client, hub):
    incident = IncidentFactory(
        title="Dask clusters fail",
        state="resolved",
        severity="degraded",
        resolved_at=TUESDAY,
        impact_ended_at=TUESDAY,
        impact_started_at=TUESDAY - datetime.timedelta(hours=1),
    )
    incident.hubs.add(hub)
    window_for(hub, title="Upgrade", cancelled_at=TUESDAY)

    titles = [
        e.find(f"{ATOM}title").text
        for e in parse_feed(client.get("/status/feed/").content).findall(f"{ATOM}entry")
    ]

    assert "[Resolved] Degraded: Dask clusters fail" in titles
    assert "Cancelled maintenance: Upgrade (Alpha Hub)" in titles


def test_feed_query_count_is_constant(client, hub, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    IncidentFactory().hubs.add(hub)
    window_for(hub, title="Window")
    with CaptureQueriesContext(connection) as small:
        client.get("/status/feed/")
    for n in range(10):
        IncidentFactory().hubs.add(hub)
        window_for(hub, title=f"Window {n}")
    rules.invalidate()

    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/status/feed/")
