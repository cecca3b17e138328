"""Password reset from the login page and e-mail change with verification, in our templates."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.MFA_REQUIRED_FOR_ADMINS = False


def link_in(message) -> str:
    return re.search(r"https?://[^\s]+", message.body).group(0).split("testserver", 1)[1]


def test_a_forgotten_password_is_reset_through_a_mailed_link(client, rep):
    page = client.get("/accounts/password/reset/")
    assert page.status_code == 200
    assert "supportdesk" in page.content.decode()  # our layout, not allauth's bare page
    response = client.post("/accounts/password/reset/", {"email": "rep_a@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rep_a@example.org"]
    assert mail.outbox[0].subject.startswith("[supportdesk]")
    form_url = client.get(link_in(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    done = client.post(
        form_url, {"password1": "a new long passphrase", "password2": "a new long passphrase"}
    )
    assert done.status_code == 302
    assert get_user_model().objects.get(pk=rep.pk).check_password("a new long passphrase")
    assert (
        client.post(
            "/accounts/login/", {"login": "rep_a", "password": "a new long passphrase"}
        ).status_code
        == 302
    )


def test_an_unknown_address_gets_no_reset_mail_and_no_hint(client, rep):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert all("nobody@example.org" not in m.to for m in mail.outbox if "reset" in m.subject)


def test_a_weak_new_password_is_refused_with_a_reason(client, rep):
    client.post("/accounts/password/reset/", {"email": "rep_a@example.org"})
    form_url = client.get(link_in(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"password1": "password", "password2": "password"})
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    assert get_user_model().objects.get(pk=rep.pk).check_password("pw")


def test_a_new_e_mail_address_is_used_only_once_verified(client, rep):
    client.force_login(rep)
    page = client.get("/accounts/email/")
    assert page.status_code == 200
    response = client.post("/accounts/email/", {"action_add": "", "email": "ada@new.example"})
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.email == "rep_a@example.org"
    verification = [m for m in mail.outbox if m.to == ["ada@new.example"]]
    assert len(verification) == 1
    confirm_url = link_in(verification[0])
    client.post(confirm_url)
    rep.refresh_from_db()
    assert rep.email == "ada@new.example"


def test_the_e_mail_page_needs_a_login(client):
    response = client.get("/accounts/email/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_nobody_signs_themselves_up(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "eve@example.org",
            "username": "eve",
            "password1": "a long passphrase",
            "password2": "a long passphrase",
        },
    )
    assert not get_user_model().objects.filter(username="eve").exists()
    assert "closed" in response.content.decode().lower()
