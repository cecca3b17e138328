"""Signing in (allauth) and lock-outs (django-axes) on /accounts/login/ and /admin/login/."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.utils import timezone

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
    settings.MFA_REQUIRED_FOR_ADMINS = False


def attempt(client, login, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"login": login, "password": password}, REMOTE_ADDR=ip)


def test_the_login_page_is_ours(client):
    page = client.get(LOGIN).content.decode()
    assert "<h1>Log in</h1>" in page
    assert "Forgot your password?" in page
    assert 'href="/accounts/password/reset/"' in page


@pytest.mark.parametrize("login", ["rep_a", "rep_a@example.org", "REP_A@example.org"])
def test_a_person_logs_in_with_username_or_e_mail(client, rep, login):
    response = attempt(client, login, "pw")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/requests/").status_code == 200


def test_a_wrong_password_says_so_and_keeps_the_username(client, rep):
    response = attempt(client, "rep_a", "nope")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="alert"' in page and "not correct" in page
    assert 'value="rep_a"' in page


def test_after_five_failures_the_right_password_is_refused_until_the_lock_expires(client, rep):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(4):
            assert attempt(client, "rep_a", "guess").status_code == 200
        locked = attempt(client, "rep_a", "guess")
        assert locked.status_code == 429
        assert "Too many failed logins" in locked.content.decode()
        assert "15 minutes" in locked.content.decode()
        clock.shift(datetime.timedelta(minutes=14))
        refused = attempt(client, "rep_a", "pw")
        assert refused.status_code == 429
        assert "_auth_user_id" not in client.session
        clock.shift(datetime.timedelta(minutes=2))
        assert attempt(client, "rep_a", "pw").status_code == 302
        assert client.session["_auth_user_id"] == str(rep.pk)


def test_the_account_is_locked_from_every_address_and_by_e_mail_too(client, rep):
    for i in range(5):
        attempt(client, "rep_a", "guess", ip=f"10.0.1.{i}")
    assert attempt(client, "rep_a@example.org", "pw", ip="10.9.9.9").status_code == 429


def test_an_address_that_guesses_many_accounts_is_locked(client, rep, other_rep):
    for i in range(5):
        attempt(client, f"nobody{i}", "guess", ip="10.0.0.7")
    assert attempt(client, "rep_b", "pw", ip="10.0.0.7").status_code == 429
    assert attempt(client, "rep_b", "pw", ip="10.0.0.8").status_code == 302


def test_a_success_resets_the_count(client, rep):
    for _ in range(4):
        attempt(client, "rep_a", "guess")
    assert attempt(client, "rep_a", "pw").status_code == 302
    client.logout()
    for _ in range(4):
        assert attempt(client, "rep_a", "guess").status_code == 200


def test_admin_login_takes_no_password_itself(client, admin_user):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    posted = client.post("/admin/login/", {"username": "admin", "password": "pw"})
    assert posted.status_code == 302 and posted["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_admin_sign_in_is_locked_out_like_everybody(client, admin_user):
    for _ in range(5):
        client.post(f"{LOGIN}?next=/admin/", {"login": "admin", "password": "x"})
    response = client.post(f"{LOGIN}?next=/admin/", {"login": "admin", "password": "pw"})
    assert response.status_code == 429


def test_an_admin_sees_and_clears_lock_outs(client, rep, admin_user):
    for _ in range(5):
        attempt(client, "rep_a", "guess")
    assert AccessAttempt.objects.filter(username="rep_a").exists()
    client.force_login(admin_user)
    listing = client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "rep_a" in listing.content.decode()


@pytest.mark.parametrize("who", ["rep", "steward"])
def test_only_admins_see_lock_outs(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/admin/axes/accessattempt/").status_code in (302, 403)


def test_logging_out_needs_a_post(client, rep):
    client.force_login(rep)
    client.get("/accounts/logout/")
    assert client.session.get("_auth_user_id") == str(rep.pk)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_the_old_username_field_still_logs_in(client, rep):
    response = client.post(LOGIN, {"username": "rep_a", "password": "pw"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(rep.pk)


@pytest.mark.parametrize("provider", ["github", "google"])
def test_a_provider_that_is_not_configured_is_404_not_500(client, db, provider):
    assert client.get(f"/accounts/{provider}/login/").status_code == 404
    assert client.post(f"/accounts/{provider}/login/").status_code == 404
