"""The API tokens page: create (name, optional expiry), shown once, listed with last use,
revoked; every person sees and revokes only their own."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from accounts import services
from accounts.models import ApiToken

pytestmark = pytest.mark.django_db

URL = "/accounts/tokens/"


def test_anonymous_is_sent_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.post(f"{URL}1/revoke/").status_code == 302


def test_creating_a_token_shows_its_secret_once(client, rep):
    client.force_login(rep)
    response = client.post(URL, {"name": "Nightly export", "expires_on": ""})
    assert response.status_code == 200
    token = ApiToken.objects.get()
    secret = response.context["secret"]
    assert token.key_hash == ApiToken.hash_key(secret)
    assert secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    again = client.get(URL).content.decode()
    assert secret not in again
    assert "Nightly export" in again and token.prefix in again


def test_an_expiry_day_ends_at_midnight_after_it(client, rep):
    client.force_login(rep)
    with time_machine.travel(datetime.datetime(2026, 3, 10, 12, tzinfo=datetime.UTC)):
        client.post(URL, {"name": "short", "expires_on": "2026-03-12"})
    assert ApiToken.objects.get().expires_at == datetime.datetime(2026, 3, 13, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "  "}, "This field is required."),
        ({"name": "x" * 101}, "at most 100 characters"),
        ({"name": "old", "expires_on": "2000-01-01"}, "Choose today or a later day."),
        ({"name": "bad", "expires_on": "tomorrow"}, "Enter a valid date."),
    ],
)
def test_bad_input_redisplays_the_form_with_the_reason(client, rep, data, message):
    client.force_login(rep)
    response = client.post(URL, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_token_limit_is_a_form_error_not_a_500(client, rep):
    for i in range(services.MAX_ACTIVE_TOKENS):
        services.api_token_create(user=rep, name=f"t{i}")
    client.force_login(rep)
    response = client.post(URL, {"name": "one more"})
    assert response.status_code == 400
    assert "revoke one" in response.content.decode()


def test_last_use_and_state_are_listed(client, rep):
    token, secret = services.api_token_create(user=rep, name="cli")
    client.get("/api/v1/tokens/", HTTP_AUTHORIZATION=f"Token {secret}")
    token.refresh_from_db()
    assert token.last_used_at is not None
    client.force_login(rep)
    page = client.get(URL).content.decode()
    assert (
        "never" not in page.split(f'data-token="{token.pk}"')[1].split("</tr>")[0].split("<td>")[3]
    )
    assert "badge-ok" in page


def test_revoking_from_the_page_stops_the_token(client, rep):
    token, secret = services.api_token_create(user=rep, name="cli")
    client.force_login(rep)
    response = client.post(f"{URL}{token.pk}/revoke/", follow=True)
    assert "revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.logout()
    assert client.get("/api/v1/tokens/", HTTP_AUTHORIZATION=f"Token {secret}").status_code == 401


def test_revoke_needs_post(client, rep):
    token, _ = services.api_token_create(user=rep, name="cli")
    client.force_login(rep)
    assert client.get(f"{URL}{token.pk}/revoke/").status_code == 405


@pytest.mark.parametrize("who", ["rep", "other_rep", "steward", "admin_user"])
def test_tokens_are_per_owner(client, request, rep, who):
    """Nobody, admin included, lists or revokes another person's token on this page."""
    token, _ = services.api_token_create(user=rep, name="reps-token")
    user = request.getfixturevalue(who)
    client.force_login(user)
    listed = "reps-token" in client.get(URL).content.decode()
    revoke = client.post(f"{URL}{token.pk}/revoke/")
    token.refresh_from_db()
    if who == "rep":
        assert listed and revoke.status_code == 302 and token.revoked_at is not None
    else:
        assert not listed and revoke.status_code == 404 and token.revoked_at is None


def test_an_expired_token_is_listed_as_expired(client, rep):
    services.api_token_create(
        user=rep, name="soon", expires_at=timezone.now() + datetime.timedelta(hours=1)
    )
    client.force_login(rep)
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=2)):
        page = client.get(URL).content.decode()
    assert "expired" in page
    assert "Revoke soon" not in page
