"""Sign-in with Google against a local HTTP server answering as Google's token endpoint does:
allauth's real client exchanges the code over HTTP and checks the returned ID token (issuer,
audience, expiry). Only an address Google marks verified may match an account."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from allauth.socialaccount.providers.google.views import GoogleOAuth2Adapter

from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def id_token(*, email: str, verified: bool = True, aud: str = "g-id") -> str:
    now = int(time.time())
    claims = {
        "iss": "https://accounts.google.com",
        "aud": aud,
        "sub": "10769150350006150715113082367",
        "email": email,
        "email_verified": verified,
        "name": "Jo Eng",
        "given_name": "Jo",
        "family_name": "Eng",
        "iat": now,
        "exp": now + 3600,
    }
    # Received straight from the token endpoint, so allauth (per OpenID Connect Core 3.1.3.7)
    # checks its claims, not its signature.
    return jwt.encode(claims, "not-checked", algorithm="HS256")


@pytest.fixture
def google(httpserver, monkeypatch, settings):
    settings.MFA_REQUIRED_FOR_ADMINS = False
    base = httpserver.url_for("").rstrip("/")
    monkeypatch.setattr(GoogleOAuth2Adapter, "access_token_url", f"{base}/token")
    monkeypatch.setattr(GoogleOAuth2Adapter, "authorize_url", f"{base}/o/oauth2/v2/auth")
    SocialApp.objects.create(provider="google", name="Google", client_id="g-id", secret="g-sec")

    def answer(token: str):
        httpserver.expect_request("/token", method="POST").respond_with_json(
            {"access_token": "ya29.test", "expires_in": 3599, "id_token": token}
        )

    return answer


def sign_in(client):
    start = client.post("/accounts/google/login/")
    assert start.status_code == 302
    query = parse_qs(urlparse(start["Location"]).query)
    assert query["client_id"] == ["g-id"]
    return client.get(
        "/accounts/google/login/callback/", {"code": "4/0AX-code", "state": query["state"][0]}
    )


def test_a_verified_google_address_signs_in_to_the_existing_account(client, google):
    jo = StaffFactory(username="jo", email="jo@uni.example")
    google(id_token(email="jo@uni.example"))
    response = sign_in(client)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(jo.pk)
    assert SocialAccount.objects.get(provider="google").user == jo


def test_an_unverified_google_address_matches_nobody(client, google):
    StaffFactory(username="jo", email="jo@uni.example")
    google(id_token(email="jo@uni.example", verified=False))
    sign_in(client)
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists()


def test_an_id_token_for_another_client_is_refused(client, google):
    StaffFactory(username="jo", email="jo@uni.example")
    google(id_token(email="jo@uni.example", aud="someone-else"))
    response = sign_in(client)
    assert response.status_code == 401  # allauth's "Third-Party Login Failure" page
    assert "Login Failure" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists()
