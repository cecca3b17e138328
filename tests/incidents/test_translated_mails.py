"""Issue 19: the incident and maintenance e-mails to representatives are written in each
recipient's language (their account's choice, else English), whatever language the person
acting reads; one notification per recipient, with the same keys as before."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import translation

from availability.services.maintenance import maintenance_announce_due, maintenance_schedule
from incidents.services import updates
from notifications.models import Notification
from tests.factories import representative
from tests.incidents.conftest import acknowledge, resolve, review_report

pytestmark = pytest.mark.django_db

# Words only an untranslated sentence would leave in a Spanish e-mail (whole words; the test
# data avoids them: titles and typed texts are Spanish; "hubs" is Spanish too).
ENGLISH = re.compile(
    r"\b(the|your|our|we|you|hi|hello|has|have|been|is|are|on|it|update|resolved|report|"
    r"incident|planned|maintenance|started|over|cancelled|from|to|users|status|every|"
    r"what|why|again|during|window|tell|us)\b",
    re.IGNORECASE,
)
URL = re.compile(r"https?://\S+")


def _leftovers(text: str, *allowed: str) -> list[str]:
    text = URL.sub(" ", text)
    for word in allowed:
        text = text.replace(word, " ")
    return ENGLISH.findall(text)


@pytest.fixture
def es_rep(community):
    user = representative(community, username="rep_es", first_name="Ana", last_name="Sur")
    user.language = "es"
    user.save()
    return user


def _one(kind: str, user) -> Notification:
    [notification] = Notification.objects.filter(kind=kind, recipient=user)
    return notification


def test_incident_mails_reach_each_representative_in_their_language(
    declare, steward, rep, es_rep, hub, clock
):
    # The steward reads Spanish: that must not decide what the English representative gets.
    with translation.override("es"):
        incident = declare(title="Nodos caídos")
        acknowledge(incident, steward)
        updates.incident_send_update(
            incident=incident,
            by=steward,
            body="Hola {representative_name}. Estado: reiniciando. Siguiente: esperar.",
        )
        resolve(incident, steward)
        review_report(incident, steward)

    ref = incident.reference
    assert _one("incident_ack", es_rep).subject == f"[{ref}] Nos estamos ocupando: Nodos caídos"
    assert _one("incident_ack", rep).subject == f"[{ref}] We are on it: Nodos caídos"
    update = _one("incident_update", es_rep)
    assert update.subject == f"[{ref}] Actualización: Nodos caídos"
    assert update.body.startswith("Hola Ana.")
    assert _one("incident_update", rep).subject == f"[{ref}] Update: Nodos caídos"
    assert _one("incident_resolved", es_rep).subject == f"[{ref}] Resuelto: Nodos caídos"
    assert _one("incident_resolved", rep).subject == f"[{ref}] Resolved: Nodos caídos"

    report_es = _one("incident_report", es_rep)
    assert report_es.subject == f"[{ref}] Informe del incidente: Nodos caídos"
    assert report_es.body.startswith("Hola, Ana:\n\nEl informe sobre")
    assert _leftovers(report_es.subject + "\n" + report_es.body, ref) == []
    report_en = _one("incident_report", rep)
    assert report_en.subject == f"[{ref}] Incident report: Nodos caídos"
    assert report_en.body.startswith(
        f"Hi Ada,\n\nThe report on {ref} (Nodos caídos) has been reviewed and published: "
    )
    assert report_en.body.endswith(
        "It explains what happened, why, and what we are changing so that it does not happen again."
    )
    # Exactly once each, under the keys they always had.
    assert Notification.objects.filter(key__startswith=f"incident:{incident.pk}:").count() == 8


@pytest.fixture
def tuesday():
    import time_machine

    with time_machine.travel(
        datetime.datetime(2026, 11, 24, 10, 0, tzinfo=datetime.UTC), tick=False
    ) as traveller:
        yield traveller


def test_maintenance_announcements_reach_each_representative_in_their_language(
    hub, steward, rep, es_rep, tuesday
):
    start = datetime.datetime(2026, 11, 25, 2, 0, tzinfo=datetime.UTC)
    end = start + datetime.timedelta(hours=2)
    with translation.override("es"):
        window = maintenance_schedule(
            by=steward,
            hubs=[hub],
            title="Actualización de Kubernetes",
            description="Reiniciaremos los servidores.",
            starts_at=start,
            ends_at=end,
        )
    tuesday.move_to(start + datetime.timedelta(minutes=1))
    maintenance_announce_due()
    tuesday.move_to(end + datetime.timedelta(minutes=1))
    maintenance_announce_due()

    scheduled = _one("maintenance_scheduled", es_rep)
    assert scheduled.subject == "Mantenimiento previsto: Alpha Hub – Actualización de Kubernetes"
    assert scheduled.body.startswith("Hola, Ana Sur:\n\nHemos previsto un mantenimiento en")
    assert "Desde: mié 25 Nov 2026, 02:00" in scheduled.body
    for stage in ("scheduled", "started", "ended"):
        sent = _one(f"maintenance_{stage}", es_rep)
        assert _leftovers(sent.subject + "\n" + sent.body, "Alpha Hub", "UTC", "Nov") == [], stage

    english = _one("maintenance_scheduled", rep)
    assert english.subject == "Planned maintenance: Alpha Hub – Actualización de Kubernetes"
    assert english.body.startswith("Hello Ada Rep,\n\nWe have planned maintenance on Alpha Hub")
    assert "From: Wed 25 Nov 2026, 02:00 UTC (25 Nov 2026 02:00 UTC)" in english.body
    assert "Users may be unable to use the hubs during this window." in english.body
    assert sorted(Notification.objects.values_list("key", flat=True)) == sorted(
        f"maintenance:{window.pk}:{stage}:user:{user.pk}"
        for stage in ("scheduled", "started", "ended")
        for user in (rep, es_rep)
    )
