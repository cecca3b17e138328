"""{% fragment %} (supportdesk/templatetags/desk.py): an include rendered once per process,
language and key, then reused. Safe only while each fragment template reads nothing of the
page but its keys: here every fragment the templates use is rendered with nothing but its keys
and compared with the same template rendered inside real pages, for each role and language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, engines
from django.urls import reverse
from django.utils import translation

from supportdesk.templatetags import desk

pytestmark = pytest.mark.django_db

# Fragment template -> the context variables it may read (those its keys are taken from).
FRAGMENTS = {
    "includes/head_assets.html": [],
    "includes/staff_nav.html": ["user"],
    "includes/member_nav.html": ["represented_community"],
    "includes/shortcuts_help.html": [],
}
USE = re.compile(r"{%\s*fragment\s+\"([^\"]+)\"")


def test_every_fragment_the_templates_use_is_checked_here():
    used = set()
    for folder in [Path(settings.BASE_DIR), *Path(settings.BASE_DIR).glob("*/templates")]:
        for path in (folder / "templates" if folder == Path(settings.BASE_DIR) else folder).rglob(
            "*.html"
        ):
            used |= set(USE.findall(path.read_text()))
    assert used == set(FRAGMENTS)


def render_alone(name: str, context: dict) -> str:
    template = engines["django"].engine.get_template(name)
    return template.render(Context({key: context.get(key) for key in FRAGMENTS[name]}))


@pytest.fixture(autouse=True)
def empty_fragments():
    desk._FRAGMENTS.clear()
    yield
    desk._FRAGMENTS.clear()


@pytest.mark.parametrize("language", ["en-gb", "es"])
@pytest.mark.parametrize("role", ["steward", "rep", "hub_admin"])
def test_a_fragment_reads_nothing_but_its_keys(role, language, request, client):
    user = request.getfixturevalue(role)
    client.force_login(user)
    page = reverse("tickets:queue") if role == "steward" else reverse("tickets:my_requests")
    response = client.get(page, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    context = {key: response.context.get(key) for keys in FRAGMENTS.values() for key in keys}
    html = response.content.decode()
    with translation.override(language):
        shown = [name for name in FRAGMENTS if render_alone(name, context) in html]
    expected = {"includes/head_assets.html"} | (
        {"includes/staff_nav.html", "includes/shortcuts_help.html"}
        if role == "steward"
        else {"includes/member_nav.html"}
    )
    assert set(shown) == expected


def test_each_steward_gets_their_own_assigned_to_me_link(client, steward, engineer):
    for user in (steward, engineer, steward):
        client.force_login(user)
        html = client.get(reverse("tickets:queue")).content.decode()
        assert f'{reverse("tickets:queue")}?assignee={user.pk}">Assigned to me' in html


def test_each_language_gets_its_own(client, rep):
    client.force_login(rep)
    english = client.get(reverse("tickets:my_requests"), HTTP_ACCEPT_LANGUAGE="en-gb")
    spanish = client.get(reverse("tickets:my_requests"), HTTP_ACCEPT_LANGUAGE="es")
    with translation.override("es"):
        our_requests = translation.gettext("Our requests")
    assert our_requests != "Our requests"
    assert f">{our_requests}</a></li>" in spanish.content.decode()
    assert ">Our requests</a></li>" in english.content.decode()


def test_the_fragments_stop_being_remembered_at_the_limit(monkeypatch, client, steward):
    monkeypatch.setattr(desk, "MAX_FRAGMENTS", 1)
    client.force_login(steward)
    assert client.get(reverse("tickets:queue")).status_code == 200
    assert len(desk._FRAGMENTS) == 1


def test_a_changed_setting_forgets_every_fragment(client, steward, settings):
    client.force_login(steward)
    client.get(reverse("tickets:queue"))
    assert desk._FRAGMENTS
    settings.STATIC_URL = "/assets/"
    assert not desk._FRAGMENTS
    html = client.get(reverse("tickets:queue")).content.decode()
    assert 'href="/assets/css/app.css"' in html
