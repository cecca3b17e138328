"""A staff member signs in through the institutional OpenID Connect provider (a real one,
django-oidc-provider, served by the live server as 127.0.0.1 while the app is localhost) and
enrols an authenticator app, in a real browser."""

from __future__ import annotations

import re
import time
from urllib.parse import urlparse

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.socialaccount.models import SocialAccount, SocialApp
from playwright.sync_api import expect

from tests.accounts import oidc_op
from tests.factories import StaffFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.accounts.oidc_urls")]


@pytest.fixture
def provider(live_server, settings):
    settings.MFA_REQUIRED_FOR_ADMINS = False
    port = urlparse(live_server.url).port
    settings.SITE_URL = f"http://127.0.0.1:{port}"  # the provider's issuer and endpoints
    oidc_op.make_provider(redirect_uri=f"http://localhost:{port}/accounts/oidc/uni/login/callback/")
    SocialApp.objects.create(
        provider="openid_connect",
        provider_id="uni",
        name="University sign-in",
        client_id="supportdesk-test",
        secret="op-secret",
        settings={"server_url": f"http://127.0.0.1:{port}/op"},
    )
    idp_user = UserFactory(username="idp-jo", email="")
    idp_user.set_password("idp-pw")
    idp_user.save()
    oidc_op.CLAIMED_EMAILS["idp-jo"] = "jo@uni.example"


def test_staff_signs_in_with_the_provider_and_enrols_totp(page, provider, shot):
    jo = StaffFactory(username="jo", first_name="Jo", last_name="Eng", email="jo@uni.example")
    page.goto("/accounts/login/")
    shot(page, "login-with-provider-button")
    page.get_by_role("button", name="University sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Test identity provider")
    assert urlparse(page.url).hostname == "127.0.0.1"
    page.get_by_label("IdP username").fill("idp-jo")
    page.get_by_label("IdP password").fill("idp-pw")
    shot(page, "provider-login")
    page.get_by_role("button", name="Sign in at the IdP").click()
    expect(page.get_by_role("button", name="Log out Jo Eng")).to_be_visible()
    assert urlparse(page.url).hostname == "localhost"
    assert SocialAccount.objects.get(provider="uni").user == jo
    shot(page, "signed-in-through-provider")

    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    shot(page, "account-page")
    page.get_by_role("link", name="Two-factor authentication").click()
    page.get_by_role("link", name="Activate").click()
    if "/reauthenticate/" in page.url:
        page.get_by_label("Password").fill("pw")
        page.get_by_role("button", name="Confirm").click()
    secret = page.locator("#authenticator_secret").input_value()
    shot(page, "totp-activate")
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    page.get_by_label("Authenticator code").fill(code)
    page.get_by_role("button", name="Activate").click()
    expect(page.locator("main")).to_contain_text(re.compile("recovery codes", re.I))
    shot(page, "recovery-codes")
    assert set(Authenticator.objects.filter(user=jo).values_list("type", flat=True)) == {
        "totp",
        "recovery_codes",
    }
