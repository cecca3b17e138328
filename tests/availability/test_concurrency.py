"""Two monitoring requests for the same hub at the same moment open one incident, not two
(the hub row is locked while its alerts are grouped). Needs PostgreSQL's row locks."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection

from availability.models import HubEvent
from availability.services.alerts import IncomingAlert, alert_integration_create, alerts_receive
from availability.services.hub_events import hub_event_record
from incidents.models import Incident
from tests.factories import CommunityFactory, HubFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def run_at_once(*calls):
    barrier = threading.Barrier(len(calls))
    errors = []

    def worker(call):
        try:
            barrier.wait()
            call()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors


def alert(fingerprint: str, slug: str) -> IncomingAlert:
    return IncomingAlert(
        status="firing",
        fingerprint=fingerprint,
        labels={"alertname": "JupyterHubDown", "hub": slug},
        annotations={},
        starts_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1),
    )


def test_concurrent_alert_payloads_for_one_hub_open_one_incident(postgres):
    hub = HubFactory(community=CommunityFactory(slug="gamma"), slug="gamma-hub")
    integration, _ = alert_integration_create(name="prometheus")

    run_at_once(
        *[
            (
                lambda n=n: alerts_receive(
                    integration=integration, alerts=[alert(f"fp{n}", "gamma-hub")]
                )
            )
            for n in range(4)
        ]
    )

    assert Incident.objects.filter(hubs=hub).count() == 1


def test_concurrent_failures_open_one_incident(postgres):
    hub = HubFactory(community=CommunityFactory(slug="delta"), slug="delta-hub")
    now = datetime.datetime.now(datetime.UTC)
    hub_event_record(
        hub=hub,
        kind="server_start_failed",
        user="a",
        occurred_at=now - datetime.timedelta(minutes=2),
    )

    run_at_once(
        *[
            (
                lambda n=n: hub_event_record(
                    hub=hub,
                    kind="server_start_failed",
                    user=f"user{n}",
                    occurred_at=now - datetime.timedelta(seconds=n),
                )
            )
            for n in range(3)
        ]
    )

    assert Incident.objects.filter(hubs=hub).count() == 1
    assert HubEvent.objects.filter(hub=hub).count() == 4
