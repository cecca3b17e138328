"""Sign-in with a real OpenID Connect provider (django-oidc-provider) served by the live test
server: the redirect to the provider, its login, the code exchange and the ID-token validation
(signature from its JWKS, issuer, audience, nonce) all run over HTTP. The provider is reached
as 127.0.0.1 and the app as localhost, so each has its own cookies, as two sites would."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
import requests
from allauth.socialaccount.models import SocialAccount, SocialApp

from accounts import services
from accounts.models import Invitation, User
from communities.models import AllowedEmailDomain, Membership
from tests.accounts import oidc_op
from tests.factories import StaffFactory, UserFactory

pytestmark = [pytest.mark.urls("tests.accounts.oidc_urls")]

PROVIDER_ID = "testop"


@pytest.fixture
def op(live_server, settings):
    """The provider, registered in the app as an admin would (a Social application row)."""
    settings.MFA_REQUIRED_FOR_ADMINS = False
    port = urlparse(live_server.url).port
    app_url = f"http://localhost:{port}"
    op_url = f"http://127.0.0.1:{port}/op"
    # django-oidc-provider names its endpoints (and the issuer) after SITE_URL.
    settings.SITE_URL = f"http://127.0.0.1:{port}"
    oidc_op.make_provider(redirect_uri=f"{app_url}/accounts/oidc/{PROVIDER_ID}/login/callback/")
    SocialApp.objects.create(
        provider="openid_connect",
        provider_id=PROVIDER_ID,
        name="University sign-in",
        client_id="supportdesk-test",
        secret="op-secret",
        settings={"server_url": op_url, "oauth_pkce_enabled": True},
    )
    oidc_op.CLAIMED_EMAILS.clear()
    return {"app": app_url, "op": op_url}


def idp_account(username: str, claims_email: str) -> None:
    user = UserFactory(username=username, email="")
    user.set_password("idp-pw")
    user.save()
    oidc_op.CLAIMED_EMAILS[username] = claims_email


def sign_in_with_provider(op, idp_username: str, *, session=None, start=None):
    """Click the provider button on the app's login page, sign in at the provider, come back.
    Returns the browser-like session and the last response."""
    browser = session or requests.Session()
    page = browser.get(start or f"{op['app']}/accounts/login/")
    assert "University sign-in" in page.text
    action = (
        re.search(rf'action="(/accounts/oidc/{PROVIDER_ID}/login/[^"]*)"', page.text)
        .group(1)
        .replace("&amp;", "&")
    )
    csrf = browser.cookies.get("csrftoken", domain="localhost.local") or browser.cookies.get(
        "csrftoken"
    )
    at_op = browser.post(f"{op['app']}{action}", data={"csrfmiddlewaretoken": csrf})
    assert at_op.url.startswith(f"{op['op']}/login/"), at_op.url
    op_csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', at_op.text).group(1)
    done = browser.post(
        at_op.url,
        data={"csrfmiddlewaretoken": op_csrf, "username": idp_username, "password": "idp-pw"},
        headers={"Referer": at_op.url},
    )
    return browser, done


def logged_in_as(browser, op) -> str | None:
    page = browser.get(f"{op['app']}/accounts/tokens/", allow_redirects=False)
    if page.status_code != 200:
        return None
    return re.search(r"Log out ([^<]+)</button>", page.text).group(1).strip()


def test_a_staff_member_signs_in_with_the_institutional_provider(op):
    StaffFactory(username="jo", first_name="Jo", last_name="Eng", email="jo@uni.example")
    idp_account("idp-jo", "jo@uni.example")
    browser, done = sign_in_with_provider(op, "idp-jo")
    assert done.status_code == 200
    assert urlparse(done.url).netloc.startswith("localhost")
    assert logged_in_as(browser, op) == "Jo Eng"
    account = SocialAccount.objects.get(provider=PROVIDER_ID)
    assert account.user.username == "jo"
    assert account.extra_data["userinfo"]["email"] == "jo@uni.example" or account.extra_data


def test_a_stranger_gets_no_account(op):
    idp_account("idp-eve", "eve@nowhere.example")
    browser, done = sign_in_with_provider(op, "idp-eve")
    assert "Sign Up Closed" in done.text or "closed" in done.text.lower()
    assert logged_in_as(browser, op) is None
    assert not SocialAccount.objects.exists()
    assert User.objects.filter(username__startswith="idp-").count() == 1
    assert User.objects.count() == 1


def test_an_allowed_domain_signs_in_as_a_representative(op, community):
    AllowedEmailDomain.objects.create(community=community, domain="alpha.example")
    idp_account("idp-kim", "kim@alpha.example")
    browser, _ = sign_in_with_provider(op, "idp-kim")
    user = SocialAccount.objects.get(provider=PROVIDER_ID).user
    assert user.email == "kim@alpha.example"
    assert Membership.objects.get(user=user).community == community
    assert logged_in_as(browser, op)


def test_an_invitation_accepted_with_the_provider_binds_the_community(op, community, admin_user):
    invitation = services.invitation_create(
        by=admin_user, email="lee@alpha.example", role="representative", community=community
    )
    idp_account("idp-lee", "lee.personal@elsewhere.example")
    link = f"{op['app']}{services.invitation_path(invitation)}"
    browser, _ = sign_in_with_provider(op, "idp-lee", start=link)
    user = SocialAccount.objects.get(provider=PROVIDER_ID).user
    assert Membership.objects.get(user=user).community == community
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.ACCEPTED and invitation.accepted_by == user
    assert logged_in_as(browser, op)


def test_a_second_provider_links_to_the_same_account(op):
    jo = StaffFactory(username="jo", first_name="Jo", last_name="Eng", email="jo@uni.example")
    idp_account("idp-jo", "jo@uni.example")
    sign_in_with_provider(op, "idp-jo")
    idp_account("idp-jo2", "jo@uni.example")
    sign_in_with_provider(op, "idp-jo2")
    assert SocialAccount.objects.filter(user=jo).count() == 2
