"""Input limits of the API: JSON too deep or too large, and the JSON error shape wherever the
API answers (including the schema and its documentation)."""

from __future__ import annotations

import json

import pytest

from supportdesk import limits
from tickets.models import SupportRequest

pytestmark = pytest.mark.usefixtures("fresh_throttles", "no_static_scan")


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_loads_reads_normal_json():
    assert limits.json_loads('{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}


@pytest.mark.parametrize("depth", [limits.MAX_JSON_DEPTH + 1, 3_000, 100_000])
def test_json_loads_refuses_deep_nesting(depth):
    with pytest.raises(limits.JsonLimitExceeded) as caught:
        limits.json_loads(nested(depth))
    assert caught.value.code == "too_deep"


def test_json_loads_accepts_the_deepest_allowed():
    assert limits.json_loads(nested(limits.MAX_JSON_DEPTH)) is not None


def test_json_loads_refuses_a_body_over_the_size_limit():
    with pytest.raises(limits.JsonLimitExceeded) as caught:
        limits.json_loads(" " * (limits.MAX_JSON_BYTES + 1))
    assert caught.value.code == "too_large"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_loads_refuses_non_standard_constants(constant):
    with pytest.raises(ValueError, match="not valid JSON"):
        limits.json_loads(f'{{"a": {constant}}}')


def test_a_request_nested_3000_deep_is_a_400_not_a_500(api, rep, hub, rotation, clock):
    body = f'{{"hub": {hub.pk}, "subject": "x", "description": {nested(3_000)}}}'
    response = api(rep).post("/api/v1/requests/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "nested deeper than 32 levels" in response.json()["detail"]
    assert not SupportRequest.objects.exists()


def test_a_body_over_the_size_limit_is_a_413(api, rep, hub, rotation, clock):
    body = json.dumps({"hub": hub.pk, "subject": "x", "description": "y" * limits.MAX_JSON_BYTES})
    response = api(rep).post("/api/v1/requests/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not SupportRequest.objects.exists()


@pytest.mark.parametrize("path", ["/api/docs/", "/api/schema/"])
def test_the_docs_with_a_bad_token_answer_401_in_the_json_error_shape(client, db, path):
    response = client.get(path, HTTP_AUTHORIZATION="Token not-a-token")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "authentication_failed"


def test_the_docs_render_for_a_signed_in_person(client, steward):
    client.force_login(steward)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
