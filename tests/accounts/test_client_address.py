"""Behind a proxy (PROXY_COUNT) every login limit counts the client's own address, the one the
proxy wrote into X-Forwarded-For: django-axes' lock-outs and allauth's own rate limit (30 logins a
minute per address) alike. Counting the proxy's address instead would make every user share one
lock-out and one limit."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
INGRESS = "10.1.2.3"


@pytest.fixture(autouse=True)
def _behind_one_proxy(settings):
    settings.PROXY_COUNT = 1
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 5
    settings.MFA_REQUIRED_FOR_ADMINS = False
    cache.clear()
    yield
    cache.clear()


def log_in(client_address, password="pw"):
    return Client().post(
        LOGIN,
        {"login": "rep_a", "password": password},
        REMOTE_ADDR=INGRESS,
        HTTP_X_FORWARDED_FOR=client_address,
    )


def test_a_lock_out_holds_the_guessing_address_not_everyone_behind_the_ingress(rep, other_rep):
    for n in range(5):
        Client().post(
            LOGIN,
            {"login": f"nobody{n}", "password": "guess"},
            REMOTE_ADDR=INGRESS,
            HTTP_X_FORWARDED_FOR="203.0.113.5",
        )
    assert log_in("203.0.113.5").status_code == 429
    assert log_in("198.51.100.7").status_code == 302


def test_many_people_behind_the_ingress_log_in_within_a_minute(rep):
    # allauth's default: 30 logins a minute per address. 40 different people in one minute.
    answers = {log_in(f"198.51.100.{n}").status_code for n in range(1, 41)}
    assert answers == {302}


def test_one_address_is_still_limited(rep):
    answers = [log_in("203.0.113.9").status_code for _ in range(31)]
    assert answers[:30] == [302] * 30
    assert answers[30] == 429


def test_the_allauth_setting_follows_proxy_count():
    env = {**os.environ, "PROXY_COUNT": "2", "DJANGO_SETTINGS_MODULE": "supportdesk.settings"}
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.PROXY_COUNT, s.ALLAUTH_TRUSTED_PROXY_COUNT)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=django_settings.BASE_DIR,
    )
    assert out.stdout.split()[-2:] == ["2", "2"]
