"""Issue 19: pages and e-mails in the representative's language, Spanish first. The account's
choice wins; otherwise the browser's Accept-Language; otherwise English."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.utils import translation

from accounts import services as account_services
from tests.factories import CommunityFactory, HubFactory, representative
from tickets import services

pytestmark = pytest.mark.django_db

# Words that only an untranslated string would put on a Spanish page (whole words; the test
# data below is written so that none of them comes from what people typed).
ENGLISH = re.compile(
    r"\b(the|your|our|we|you|request|requests|reply|send|waiting|due|received|filter|search|"
    r"state|category|attach|users|cannot|what|new|next|previous|status|account|log)\b",
    re.IGNORECASE,
)


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return " ".join(unescape(html).split())


@pytest.fixture
def es_rep(db):
    community = CommunityFactory(name="Comunidad Sur", slug="sur", timezone="America/Bogota")
    HubFactory(community=community, name="Sur Hub", slug="sur-hub")
    user = representative(community, username="rep_es", first_name="Ana", last_name="Sur")
    user.language = "es"
    user.save()
    return user


def test_a_spanish_speaking_representative_gets_the_spanish_form(client, es_rep):
    client.force_login(es_rep)
    response = client.get("/requests/new/")
    html = response.content.decode()
    assert response["Content-Language"] == "es"
    assert '<html lang="es">' in html
    assert "Nueva solicitud de soporte" in html
    assert "¿Cuántos usuarios están afectados?" in html
    leftovers = ENGLISH.findall(_visible_text(html))
    assert leftovers == [], f"untranslated words on the Spanish form: {leftovers}"


def test_the_spanish_representatives_pages_have_no_english_left(client, es_rep, rotation):
    client.force_login(es_rep)
    hub = es_rep.memberships.get().community.hubs.get()
    response = client.post(
        "/requests/new/",
        {
            "hub": hub.pk,
            "subject": "Núcleo caído",
            "description": "Importar *xarray* mata el núcleo.",
            "affected_users": 3,
            "cannot_run_code": "on",
        },
    )
    assert response.status_code == 302
    pk = int(re.search(r"/requests/(\d+)/", response["Location"]).group(1))
    for path in (f"/requests/{pk}/received/", f"/requests/{pk}/", "/requests/"):
        text = _visible_text(client.get(path).content.decode())
        leftovers = ENGLISH.findall(text)
        assert leftovers == [], f"untranslated words on {path}: {leftovers}"
    listing = client.get("/requests/").content.decode()
    assert "Esperando nuestra respuesta: vence en" in listing
    assert "Probable incidente" in listing
    assert "hora de Colombia" in listing


def test_the_acknowledgement_mail_is_in_spanish(
    client, es_rep, rotation, mailoutbox, django_capture_on_commit_callbacks, settings
):
    from supportdesk.celery import app as celery_app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        client.force_login(es_rep)
        hub = es_rep.memberships.get().community.hubs.get()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                "/requests/new/",
                {"hub": hub.pk, "subject": "Núcleo caído", "description": "x", "affected_users": 0},
            )
    finally:
        celery_app.conf.task_always_eager = previous
    [mail] = [m for m in mailoutbox if m.to == [es_rep.email]]
    assert "Hemos recibido su solicitud: Núcleo caído" in mail.subject
    assert mail.body.startswith("Hola, Ana:")
    assert "Qué pasa ahora:" in mail.body
    assert "hora de Colombia" in mail.body
    assert "We received" not in mail.body and "working" not in mail.body


def test_the_browser_language_serves_anonymous_pages_in_spanish(client, db):
    response = client.get("/status/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9,en;q=0.5")
    html = response.content.decode()
    assert response["Content-Language"] == "es"
    assert "Accept-Language" in response["Vary"]
    assert "Iniciar sesión" in html and "Estado del servicio" in html
    english = client.get("/status/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Log in" in english.content.decode()


def test_the_account_choice_wins_over_the_browser(client, rep):
    client.force_login(rep)
    response = client.post(
        "/accounts/profile/",
        {"first_name": "Ada", "last_name": "Rep", "timezone": "", "language": "es"},
    )
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.language == "es"
    page = client.get("/requests/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Nuestras solicitudes" in page.content.decode()


def test_an_unknown_language_is_refused_with_a_form_error(client, rep):
    client.force_login(rep)
    response = client.post(
        "/accounts/profile/", {"first_name": "Ada", "timezone": "", "language": "xx"}
    )
    assert response.status_code == 400
    rep.refresh_from_db()
    assert rep.language == ""


# --- e-mails follow the recipient's language, not the sender's ----------------------------------


def _strip_urls(text: str) -> str:
    return re.sub(r"https?://\S+", " ", text)


@pytest.fixture
def es_request(es_rep, rotation, clock):
    hub = es_rep.memberships.get().community.hubs.get()
    r = services.request_submit(requester=es_rep, hub=hub, subject="Núcleo caído", description="x")
    return services.request_triage(
        support_request=r, by=rotation[0].user, category="change", expected_version=r.version
    )


def _mails_to(mail, user, since=0):
    return [m for m in mail.outbox[since:] if m.to == [user.email]]


def test_a_stewards_reply_reaches_a_spanish_representative_in_spanish(
    es_request, es_rep, rotation, mail
):
    steward = rotation[0].user
    # The steward's own request is served in English: that must not decide the e-mail.
    with translation.override("en-gb"), mail.capture():
        services.request_reply(
            support_request=es_request,
            by=steward,
            body="Reiniciamos el nodo.",
            link_url="https://example.org/registro",
        )
    [reply] = _mails_to(mail, es_rep)
    assert "respondió a su solicitud" in reply.body
    assert "Enlace: https://example.org/registro" in reply.body
    assert "Responda a este correo o en la página de la solicitud:" in reply.body
    leftovers = ENGLISH.findall(_strip_urls(reply.body))
    assert leftovers == [], f"untranslated words in the reply e-mail: {leftovers}"


def test_the_resolution_and_duplicate_notices_are_in_spanish(es_request, es_rep, rotation, mail):
    steward = rotation[0].user
    hub = es_rep.memberships.get().community.hubs.get()
    other = services.request_submit(requester=es_rep, hub=hub, subject="Otra", description="x")
    with mail.capture():
        services.request_resolve(
            support_request=es_request,
            by=steward,
            body="Listo.",
            expected_version=es_request.version,
        )
        services.request_close_as_duplicate(support_request=other, by=steward, original=es_request)
    resolved = next(m for m in _mails_to(mail, es_rep) if "Resuelta: Núcleo caído" in m.subject)
    assert "Si le funciona, confírmelo" in resolved.body
    assert ENGLISH.findall(_strip_urls(resolved.body)) == []
    duplicate = next(m for m in _mails_to(mail, es_rep) if "Esta solicitud duplica" in m.body)
    assert ENGLISH.findall(_strip_urls(duplicate.body)) == []


def test_an_english_representative_gets_english_whatever_the_steward_reads(
    rep, hub, rotation, mail, clock
):
    steward = rotation[0].user
    r = services.request_submit(requester=rep, hub=hub, subject="Kernel", description="x")
    r = services.request_triage(
        support_request=r, by=steward, category="change", expected_version=r.version
    )
    # A steward browsing in Spanish (Accept-Language) answers a representative without a
    # language of their own: the site's default, English, not the steward's.
    with translation.override("es"), mail.capture():
        services.request_reply(support_request=r, by=steward, body="Looking.")
    [reply] = _mails_to(mail, rep)
    assert "replied to your request" in reply.body and "respondió" not in reply.body


def test_an_invitation_is_written_in_the_language_the_inviter_chose(
    client, admin_user, community, mail
):
    with mail.capture():
        invitation = account_services.invitation_create(
            by=admin_user,
            email="nueva@example.org",
            role="representative",
            community=community,
            language="es",
        )
    [message] = [m for m in mail.outbox if m.to == ["nueva@example.org"]]
    assert message.subject.startswith("Le invitamos a supportdesk como representante")
    assert "le invitó a supportdesk" in message.body
    assert ENGLISH.findall(_strip_urls(message.body)) == []
    # Accepting keeps the language for the new account.
    token = account_services.invitation_token(invitation)
    user = account_services.invitation_accept(
        token=token, username="nueva", first_name="", last_name="", password="x7!Kq-long-pass"
    )
    assert user.language == "es"


def test_the_password_reset_mail_follows_the_accounts_language(client, es_rep, mail):
    with mail.capture():
        response = client.post(
            "/accounts/password/reset/", {"email": es_rep.email}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 302
    [message] = _mails_to(mail, es_rep)
    assert message.subject.endswith("Correo electrónico para restablecer contraseña")
    assert "restablecer" in message.body and "password reset" not in message.body
