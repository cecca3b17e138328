"""Issue 19: pages and e-mails in the representative's language, Spanish first. The account's
choice wins; otherwise the browser's Accept-Language; otherwise English."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.factories import CommunityFactory, HubFactory, representative

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
