"""The request page renders its rarely used forms on demand (tickets.views.LAZY_FORMS): a
<details> that htmx fills from desk_form when opened, with a link that works without JavaScript.
The everyday forms (reply, note, close) are always there, and a new request's triage too."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tickets.views import LAZY_FORMS

pytestmark = pytest.mark.django_db

FORM_IDS = {
    "canned": "canned-pick",
    "triage": "triage-form",
    "priority": "priority-form",
    "time": "time-form",
    "issue": "issue-form",
    "resolve": "resolve-form",
    "duplicate": "duplicate-form",
}


def _page(client, user, r, **params):
    client.force_login(user)
    response = client.get(reverse("tickets:desk_request", args=[r.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_triaged_request_page_leaves_the_rare_forms_to_be_fetched(triaged, steward, client):
    page = _page(client, steward, triaged)
    for everyday in ("reply-form", "note-form", "close-form"):
        assert f'id="{everyday}"' in page
    for name in LAZY_FORMS:
        assert f'id="{FORM_IDS[name]}"' not in page, name
        url = reverse("tickets:desk_form", args=[triaged.pk, name])
        assert f'hx-get="{url}"' in page, name
        assert f'href="?open={name}#' in page, name  # without JavaScript
    assert 'hx-trigger="toggle once"' in page
    assert "vendor/htmx/htmx.min.js" in page


def test_a_new_request_shows_its_triage_form(submit, steward, client):
    page = _page(client, steward, submit())
    assert 'id="triage-form"' in page
    assert 'id="priority-form"' not in page


@pytest.mark.parametrize("name", LAZY_FORMS)
def test_each_fragment_is_the_form_alone_and_open_puts_it_in_the_page(
    name, triaged, steward, client
):
    client.force_login(steward)
    fragment = client.get(reverse("tickets:desk_form", args=[triaged.pk, name]))
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert f'id="{FORM_IDS[name]}"' in html
    assert "<html" not in html and "<h1" not in html
    if name != "canned":  # a GET form; the others post with the page's version
        assert "csrfmiddlewaretoken" in html
    if name not in ("time", "canned"):
        assert f'value="{triaged.version}"' in html
    assert f'id="{FORM_IDS[name]}"' in _page(client, steward, triaged, open=name)


def test_the_fragments_are_for_staff_only(triaged, rep, client):
    client.force_login(rep)
    response = client.get(reverse("tickets:desk_form", args=[triaged.pk, "priority"]))
    assert response.status_code in (403, 404)
    client.logout()
    response = client.get(reverse("tickets:desk_form", args=[triaged.pk, "priority"]))
    assert response.status_code == 302  # to the login page


def test_an_unknown_form_is_404(triaged, steward, client):
    client.force_login(steward)
    for name in ("reply", "nonsense", "close"):
        response = client.get(reverse("tickets:desk_form", args=[triaged.pk, name]))
        assert response.status_code == 404


def test_a_refused_lazy_form_comes_back_in_the_page_with_what_was_typed(triaged, steward, client):
    client.force_login(steward)
    response = client.post(
        reverse("tickets:desk_log_time", args=[triaged.pk]),
        {"time-minutes": "0", "time-note": "typed note"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="time-form"' in page and "typed note" in page
