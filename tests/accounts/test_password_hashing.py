"""Passwords are hashed with Argon2id at OWASP's parameters; a hash made by an older hasher
still logs in and is replaced at that login."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    check_password,
    identify_hasher,
    make_password,
)
from django.test import Client

pytestmark = pytest.mark.django_db

PREFIX = "argon2$argon2id$v=19$m=19456,t=2,p=1$"


@pytest.fixture(autouse=True)
def _production_hashers(settings):
    # The test settings put a fast MD5 hasher first; production's list is the rest.
    settings.PASSWORD_HASHERS = [h for h in settings.PASSWORD_HASHERS if "MD5" not in h]
    settings.MFA_REQUIRED_FOR_ADMINS = False


def test_a_new_password_is_hashed_with_argon2id_at_owasp_parameters():
    encoded = make_password("correct horse")
    assert encoded.startswith(PREFIX)
    assert check_password("correct horse", encoded)
    assert not check_password("wrong horse", encoded)


def test_an_old_pbkdf2_hash_logs_in_and_is_upgraded(rep):
    rep.password = make_password("pw", hasher="pbkdf2_sha256")
    rep.save(update_fields=["password"])
    response = Client().post("/accounts/login/", {"login": "rep_a", "password": "pw"})
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.password.startswith(PREFIX)
    assert identify_hasher(rep.password).algorithm == "argon2"


def test_djangos_default_argon2_hash_is_brought_to_these_parameters(rep):
    rep.password = make_password("pw", hasher=Argon2PasswordHasher())  # m=102400, p=8
    assert not rep.password.startswith(PREFIX)
    rep.save(update_fields=["password"])
    assert (
        Client().post("/accounts/login/", {"login": "rep_a", "password": "pw"}).status_code == 302
    )
    rep.refresh_from_db()
    assert rep.password.startswith(PREFIX)
