"""Issue 19: what the services refuse, and the incident e-mails' fallback texts, reach a
representative in their language: the account's choice (also through an API token), else the
browser's Accept-Language, else English. The API's error codes do not depend on the language."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from accounts import services as account_services
from incidents.models import Incident
from incidents.services import lifecycle
from tickets.models import CannedResponse, SupportRequest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttles", "no_static_scan")]


def _spanish(user):
    user.language = "es"
    user.save(update_fields=["language"])
    return user


def _token_client(client, user):
    _token, secret = account_services.api_token_create(user=user, name="script")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {secret}"
    return client


# --- the API ------------------------------------------------------------------------------


def test_a_spanish_account_gets_the_refusal_in_spanish_through_its_api_token(client, rep, triaged):
    """The token's user is known only after the middleware: the account's language still
    applies, over the browser's."""
    _token_client(client, _spanish(rep))
    response = client.post(
        f"/api/v1/requests/{triaged.pk}/reopen/",
        {"reason": "Sigue roto"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 409
    assert response["Content-Language"] == "es"
    assert response.json() == {
        "detail": (
            f"Solo se puede reabrir una solicitud resuelta; {triaged.reference} está clasificada."
        ),
        "code": "invalid_transition",
    }


def test_an_english_account_gets_english_whatever_the_browser_says(client, rep, triaged):
    rep.language = "en-gb"
    rep.save(update_fields=["language"])
    _token_client(client, rep)
    response = client.post(
        f"/api/v1/requests/{triaged.pk}/reopen/",
        {"reason": "x"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"Only a resolved request can be reopened; {triaged.reference} is triaged."
    )


def test_the_browsers_language_decides_without_an_account_choice(api, rep, new_request):
    client = api(rep)
    spanish = client.post(
        f"/api/v1/requests/{new_request.pk}/attachments/",
        {},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9",
    )
    assert spanish.status_code == 400
    assert spanish.json() == {
        "detail": "Adjunte al menos un archivo.",
        "code": "invalid",
        "errors": {"file": ["Adjunte al menos un archivo."]},
    }
    english = client.post(f"/api/v1/requests/{new_request.pk}/attachments/", {}, format="multipart")
    assert english.json()["detail"] == "Attach at least one file."


def test_a_staff_only_endpoint_refuses_in_the_representatives_language(client, rep, new_request):
    client.force_login(_spanish(rep))  # the API with the browser's session
    response = client.post(
        f"/api/v1/requests/{new_request.pk}/triage/",
        {"category": "change"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Solo el equipo de soporte puede hacer esto.",
        "code": "permission_denied",
    }


# --- a page -------------------------------------------------------------------------------


def _confirm_messages(client, incident) -> list[str]:
    response = client.post(f"/incidents/{incident.pk}/confirm/")
    assert response.status_code == 302
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_spanish_representative_reads_the_refusal_on_the_page(client, rep, incident):
    client.force_login(_spanish(rep))
    assert _confirm_messages(client, incident) == ["Solo se puede confirmar un incidente resuelto."]


def test_an_english_representative_reads_it_in_english(client, rep, incident):
    client.force_login(rep)
    messages = _confirm_messages(client, incident)
    assert messages == ["Only a resolved incident can be confirmed."]


# --- the status names, by what they qualify -----------------------------------------------


def test_a_request_and_an_incident_get_their_own_gender_in_spanish():
    from django.utils import translation

    with translation.override("es"):
        assert str(SupportRequest.Status.RESOLVED.label) == "Resuelta"
        assert str(SupportRequest.Status.CLOSED.label) == "Cerrada"
        assert str(Incident.State.RESOLVED.label) == "Resuelto"
        assert str(Incident.State.CLOSED.label) == "Cerrado"
    assert str(Incident.State.CLOSED.label) == "Closed"


# --- the incident e-mails' fallback texts -------------------------------------------------


def test_the_fallback_acknowledgement_reaches_each_representative_in_their_language(
    rep, other_rep, hub, other_hub, declare, steward, mail
):
    """No canned response left (an admin deleted them): the built-in text, translated per
    recipient, not in the language of the steward who acknowledged."""
    CannedResponse.objects.filter(purpose=CannedResponse.Purpose.INCIDENT_ACK).delete()
    _spanish(other_rep)
    incident = declare(hubs=[hub, other_hub])
    with mail.capture():
        lifecycle.incident_acknowledge(incident=incident, by=steward)
    [english] = [m for m in mail.outbox if m.to == [rep.email]]
    [spanish] = [m for m in mail.outbox if m.to == [other_rep.email]]
    assert english.body.startswith("Hi Ada,\n\nWe are treating this as an incident")
    assert spanish.body.startswith("Hola, Bo:\n\nLo estamos tratando como un incidente")
    assert "Nos estamos ocupando" in spanish.subject


def test_the_prefilled_resolution_reaches_each_representative_in_their_language(
    rep, other_rep, hub, other_hub, declare, steward, mail, clock
):
    import datetime

    from django.utils import timezone

    CannedResponse.objects.filter(purpose=CannedResponse.Purpose.INCIDENT_RESOLVED).delete()
    _spanish(other_rep)
    incident = declare(hubs=[hub, other_hub])
    incident = lifecycle.incident_acknowledge(incident=incident, by=steward)
    clock.shift(datetime.timedelta(minutes=30))
    before = len(mail.outbox)
    with mail.capture():
        lifecycle.incident_resolve(
            incident=incident,
            by=steward,
            impact_ended_at=timezone.now(),
            verification_note="Started a test server.",
        )
    sent = mail.outbox[before:]
    [english] = [m for m in sent if m.to == [rep.email]]
    [spanish] = [m for m in sent if m.to == [other_rep.email]]
    assert "Service on Alpha Hub, Beta Hub is back. Thank you for your patience." in english.body
    assert "se ha restablecido. Gracias por su paciencia." in spanish.body
    assert "Thank you" not in spanish.body
