"""Hub statuses follow incidents through incidents.signals.incident_changed, sent after the
incident's transaction commits: availability refreshes in a transaction of its own, and a
rolled-back incident change sends nothing. Monitoring writes into an incident only through
incidents' own services."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.utils import timezone

from availability.services import hub_status
from communities.models import Hub
from incidents.models import Incident, TimelineEntry
from incidents.services import lifecycle
from incidents.signals import incident_changed
from tests.availability.conftest import load_payload

pytestmark = pytest.mark.usefixtures("tuesday")

Status = Hub.Status


class Boom(Exception):
    pass


@pytest.fixture
def received():
    """What incident_changed delivered: (incident pk, whether a transaction was open)."""
    seen: list[tuple[int, bool]] = []

    def probe(sender, *, incident, **kwargs):
        seen.append((incident.pk, connection.in_atomic_block))

    incident_changed.connect(probe, dispatch_uid="test.probe")
    yield seen
    incident_changed.disconnect(dispatch_uid="test.probe")


@pytest.mark.django_db
def test_the_hub_follows_the_incident_once_its_transaction_commits(
    hub, declare, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        declare()
        hub.refresh_from_db()
        assert hub.status == Status.OPERATIONAL  # not refreshed inside the incident's transaction
    assert callbacks

    for callback in callbacks:
        callback()

    hub.refresh_from_db()
    assert hub.status == Status.OUTAGE


@pytest.mark.django_db
def test_resolving_returns_the_hub_to_operational_after_commit(
    hub, declare, steward, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare()
    hub.refresh_from_db()
    assert hub.status == Status.OUTAGE

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.incident_acknowledge(incident=incident, by=steward)
        lifecycle.incident_resolve(
            incident=incident,
            by=steward,
            impact_ended_at=timezone.now(),
            verification_note="Started a server.",
        )

    hub.refresh_from_db()
    assert hub.status == Status.OPERATIONAL


@pytest.mark.django_db(transaction=True)
def test_the_signal_arrives_after_commit_outside_any_transaction(hub, declare, received):
    incident = declare()

    assert received  # declared, and its public entry
    assert {pk for pk, _ in received} == {incident.pk}
    assert not any(in_transaction for _, in_transaction in received)
    hub.refresh_from_db()
    assert hub.status == Status.OUTAGE


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_incident_change_sends_nothing(hub, declare, received):
    with pytest.raises(Boom), transaction.atomic():
        declare()
        raise Boom

    assert received == []
    assert not Incident.objects.exists()
    hub.refresh_from_db()
    assert hub.status == Status.OPERATIONAL


@pytest.mark.django_db
def test_a_rolled_back_savepoint_queues_nothing(declare, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        declare()
        raise Boom
    assert callbacks == []


@pytest.mark.django_db
def test_an_alert_is_written_through_the_incidents_service(hub, declare, post_alerts):
    """The entry is the system's, and the incident's version and updated_at move with it, as
    for every other change (availability no longer bumps the version behind its back)."""
    incident = declare()
    before = Incident.objects.get(pk=incident.pk)

    response = post_alerts(load_payload("firing.json", hub=hub.slug))

    assert response.status_code == 200, response.content
    after = Incident.objects.get(pk=incident.pk)
    entry = after.timeline.get(kind=TimelineEntry.Kind.ALERT)
    assert entry.author is None and not entry.is_public
    assert after.version == before.version + 1
    assert after.updated_at >= before.updated_at


@pytest.mark.django_db
def test_a_failing_refresh_after_commit_does_not_fail_the_change(
    hub, declare, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def broken(**kwargs):
        raise RuntimeError("hub refresh failed")

    monkeypatch.setattr(hub_status, "hub_statuses_refresh", broken)
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare()

    assert Incident.objects.filter(pk=incident.pk).exists()
    assert "hub refresh failed" in caplog.text
