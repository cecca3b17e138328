"""Personal API tokens: created and revoked by their owner, stored hashed, shown once."""

from __future__ import annotations

import hashlib

import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken
from supportdesk.errors import DomainError, PermissionDenied

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttles", "no_static_scan")]

URL = "/api/v1/tokens/"


def token_client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def test_a_new_token_is_shown_once_and_stored_only_as_a_hash(api, rep):
    response = api(rep).post(URL, {"name": "Monitoring script"}, format="json")
    assert response.status_code == 201
    secret = response.json()["secret"]
    token = ApiToken.objects.get(pk=response.json()["id"])
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(token.prefix)
    assert secret not in str(ApiToken.objects.values_list())
    listed = api(rep).get(URL).json()["results"]
    assert listed[0]["prefix"] == token.prefix
    assert "secret" not in listed[0]


def test_the_secret_authenticates_as_its_owner(api, rep, new_request):
    secret = api(rep).post(URL, {"name": "cli"}, format="json").json()["secret"]
    response = token_client(secret).get("/api/v1/requests/")
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [new_request.pk]
    assert ApiToken.objects.get().last_used_at is not None


def test_a_revoked_token_stops_working_at_once(api, rep):
    created = api(rep).post(URL, {"name": "cli"}, format="json").json()
    client = token_client(created["secret"])
    assert client.delete(f"{URL}{created['id']}/").status_code == 204
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response["WWW-Authenticate"].startswith("Token")
    listed = api(rep).get(URL).json()["results"]
    assert listed[0]["is_active"] is False and listed[0]["revoked_at"]


def test_revoking_twice_changes_nothing(api, rep):
    token, _ = services.api_token_create(user=rep, name="cli")
    assert api(rep).delete(f"{URL}{token.pk}/").status_code == 204
    revoked_at = ApiToken.objects.get().revoked_at
    assert api(rep).delete(f"{URL}{token.pk}/").status_code == 204
    assert ApiToken.objects.get().revoked_at == revoked_at


def test_somebody_elses_token_does_not_exist_for_you(api, rep, other_rep):
    token, _ = services.api_token_create(user=other_rep, name="theirs")
    assert api(rep).delete(f"{URL}{token.pk}/").status_code == 404
    assert api(rep).get(URL).json()["count"] == 0
    assert ApiToken.objects.get().is_active
    with pytest.raises(PermissionDenied):
        services.api_token_revoke(token=token, by=rep)


@pytest.mark.parametrize(
    ("name", "status"), [("", 400), ("   ", 400), ("x" * 101, 400), (None, 400)]
)
def test_a_token_needs_a_name(api, rep, name, status):
    response = api(rep).post(URL, {"name": name}, format="json")
    assert response.status_code == status
    assert "name" in response.json()["errors"]


def test_active_tokens_are_limited(rep):
    for i in range(services.MAX_ACTIVE_TOKENS):
        services.api_token_create(user=rep, name=f"t{i}")
    with pytest.raises(DomainError):
        services.api_token_create(user=rep, name="one too many")


def test_a_wrong_token_is_401_and_no_credentials_too(api):
    response = token_client("sd_not-a-real-token").get(URL)
    assert response.status_code == 401
    response = api().get(URL)
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }
    assert response["WWW-Authenticate"] == 'Token realm="api"'


def test_an_inactive_users_token_is_refused(rep):
    _, secret = services.api_token_create(user=rep, name="cli")
    rep.is_active = False
    rep.save()
    assert token_client(secret).get(URL).status_code == 401


def test_the_browser_session_works_and_its_writes_need_the_csrf_token(rep):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(rep)
    assert client.get(URL).status_code == 200
    response = client.post(URL, {"name": "from the browser"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_a_browser_session_creates_a_token_through_the_api(client, rep):
    """The session's request.user is a SimpleLazyObject: creating a token from a logged-in
    browser (no token yet to authenticate with) used to answer 500."""
    client.force_login(rep)
    response = client.post(URL, {"name": "first"}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["secret"].startswith("sd_")
    assert ApiToken.objects.get().user == rep


def test_an_expired_token_is_refused(api, rep):
    import datetime

    import time_machine
    from django.utils import timezone

    expires = timezone.now() + datetime.timedelta(days=1)
    response = api(rep).post(URL, {"name": "cli", "expires_at": expires.isoformat()}, format="json")
    assert response.status_code == 201
    secret = response.json()["secret"]
    assert token_client(secret).get(URL).status_code == 200
    with time_machine.travel(expires + datetime.timedelta(seconds=1)):
        refused = token_client(secret).get(URL)
        assert refused.status_code == 401
        assert "expired" in refused.json()["detail"]
        assert api(rep).get(URL).json()["results"][0]["is_active"] is False


def test_an_expiry_in_the_past_is_refused_with_a_reason(api, rep):
    response = api(rep).post(
        URL, {"name": "cli", "expires_at": "2020-01-01T00:00:00Z"}, format="json"
    )
    assert response.status_code == 400
    assert "future" in response.json()["detail"]
    assert not ApiToken.objects.exists()
