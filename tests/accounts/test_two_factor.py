"""Two-factor (TOTP + recovery codes) with allauth.mfa; admins must enrol when
MFA_REQUIRED_FOR_ADMINS is on (the production default)."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code_for(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def log_in(client, user):
    """Through the login form, then confirming the password again as allauth asks before
    anyone changes their second factor."""
    response = client.post("/accounts/login/", {"login": user.username, "password": "pw"})
    assert response.status_code == 302
    first = client.get("/accounts/2fa/totp/activate/")
    assert first["Location"].startswith("/accounts/reauthenticate/")
    again = client.post(first["Location"], {"password": "pw"})
    assert again.status_code == 302


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED_FOR_ADMINS = True


def test_an_admin_without_totp_is_sent_to_enrol_first(client, admin_user, required):
    log_in(client, admin_user)
    for path in ["/desk/", "/admin/", "/accounts/profile/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/accounts/2fa/totp/activate/"
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200


def test_staff_who_are_not_admins_may_enrol_but_need_not(client, steward, required):
    log_in(client, steward)
    assert client.get("/desk/").status_code == 200
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200


def test_the_setting_off_lets_admins_in(client, admin_user, settings):
    settings.MFA_REQUIRED_FOR_ADMINS = False
    client.force_login(admin_user)
    assert client.get("/desk/").status_code == 200


def test_enrolling_totp_gives_recovery_codes_and_then_the_desk(client, admin_user, required):
    log_in(client, admin_user)
    page = client.get("/accounts/2fa/totp/activate/").content.decode()
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page)
    secret = secret or re.search(r'value="([A-Z2-7]{16,})"', page)
    response = client.post("/accounts/2fa/totp/activate/", {"code": code_for(secret.group(1))})
    assert response.status_code == 302
    kinds = set(Authenticator.objects.filter(user=admin_user).values_list("type", flat=True))
    assert kinds == {"totp", "recovery_codes"}
    assert client.get("/desk/").status_code == 200


def test_a_wrong_code_does_not_enrol(client, admin_user, required):
    log_in(client, admin_user)
    client.get("/accounts/2fa/totp/activate/")
    response = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert not Authenticator.objects.filter(user=admin_user).exists()


def test_logging_in_with_totp_asks_for_the_code(client, steward):
    TOTP.activate(steward, SECRET)
    response = client.post("/accounts/login/", {"login": steward.username, "password": "pw"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    done = client.post("/accounts/2fa/authenticate/", {"code": code_for(SECRET)})
    assert done.status_code == 302
    assert client.session["_auth_user_id"] == str(steward.pk)


def test_the_admin_login_cannot_skip_the_second_factor(client, admin_user):
    TOTP.activate(admin_user, SECRET)
    client.post("/admin/login/", {"username": "admin", "password": "pw"})
    assert "_auth_user_id" not in client.session
    response = client.post("/accounts/login/?next=/admin/", {"login": "admin", "password": "pw"})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
