"""Sign-in with GitHub against a local HTTP server answering as GitHub does (token endpoint,
/user, /user/emails): allauth's real client code runs over HTTP. Only addresses GitHub marks
verified may match an account."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from allauth.socialaccount.providers.github.views import GitHubOAuth2Adapter

from communities.models import AllowedEmailDomain, Membership
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def github(httpserver, monkeypatch, settings):
    settings.MFA_REQUIRED_FOR_ADMINS = False
    base = httpserver.url_for("").rstrip("/")
    monkeypatch.setattr(GitHubOAuth2Adapter, "access_token_url", f"{base}/login/oauth/access_token")
    monkeypatch.setattr(GitHubOAuth2Adapter, "authorize_url", f"{base}/login/oauth/authorize")
    monkeypatch.setattr(GitHubOAuth2Adapter, "profile_url", f"{base}/api/v3/user")
    monkeypatch.setattr(GitHubOAuth2Adapter, "emails_url", f"{base}/api/v3/user/emails")
    SocialApp.objects.create(
        provider="github", name="GitHub", client_id="gh-id", secret="gh-secret"
    )
    httpserver.expect_request("/login/oauth/access_token", method="POST").respond_with_json(
        {"access_token": "gho_test", "token_type": "bearer", "scope": "read:user,user:email"}
    )

    def answer(login: str, emails: list[tuple[str, bool]]):
        httpserver.expect_request(
            "/api/v3/user", headers={"Authorization": "token gho_test"}
        ).respond_with_json({"id": 4242, "login": login, "name": "Jo Eng", "email": None})
        httpserver.expect_request("/api/v3/user/emails").respond_with_json(
            [{"email": e, "primary": i == 0, "verified": v} for i, (e, v) in enumerate(emails)]
        )

    return answer


def sign_in(client):
    start = client.post("/accounts/github/login/")
    assert start.status_code == 302
    query = parse_qs(urlparse(start["Location"]).query)
    assert query["client_id"] == ["gh-id"]
    return client.get(
        "/accounts/github/login/callback/", {"code": "the-code", "state": query["state"][0]}
    )


def test_a_verified_github_address_signs_in_to_the_existing_account(client, github, httpserver):
    jo = StaffFactory(username="jo", email="jo@uni.example")
    github("octojo", [("jo@uni.example", True)])
    response = sign_in(client)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(jo.pk)
    assert SocialAccount.objects.get(provider="github").user == jo
    token_call = next(r for r, _ in httpserver.log if r.path == "/login/oauth/access_token")
    assert b"the-code" in token_call.get_data()


def test_an_unverified_github_address_matches_nobody(client, github):
    StaffFactory(username="jo", email="jo@uni.example")
    github("octojo", [("jo@uni.example", False)])
    response = sign_in(client)
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists()
    assert response.status_code in (200, 302)


def test_an_allowed_domain_joins_its_community(client, github, community):
    AllowedEmailDomain.objects.create(community=community, domain="alpha.example")
    github("octokim", [("kim@alpha.example", True)])
    sign_in(client)
    user = SocialAccount.objects.get(provider="github").user
    assert Membership.objects.get(user=user).community == community
    assert client.session["_auth_user_id"] == str(user.pk)
