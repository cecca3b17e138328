"""The OpenAPI contract: it validates without a warning, documents every operation's request,
responses and errors, and the interactive docs are served without any CDN."""

from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttles", "no_static_scan")]

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def ours(schema):
    """The operations of this API (availability's monitoring endpoints are documented by
    their owner)."""
    for path, item in schema["paths"].items():
        if not path.startswith("/api/v1/") or "/alerts/" in path or path.endswith("/events/"):
            continue
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_the_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert yaml.safe_load(target.read_text())["openapi"].startswith("3.")


def test_the_schema_is_served(api):
    response = api().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "supportdesk API"


def test_every_operation_has_a_stable_id_and_documents_its_errors(schema):
    operations = list(ours(schema))
    assert len(operations) >= 35
    ids = [operation["operationId"] for _, _, operation in operations]
    assert len(ids) == len(set(ids))
    for path, method, operation in operations:
        responses = operation["responses"]
        where = f"{method.upper()} {path}"
        assert "429" in responses, where
        if operation["operationId"] != "hubs_list":
            assert "401" in responses, where
        if "{" in path:
            assert "404" in responses, where
        if method in ("post", "patch") and "requestBody" in operation:
            assert "400" in responses, where
        for code, response in responses.items():
            if code.startswith(("4", "5")):
                assert response["content"]["application/json"]["schema"]["$ref"].endswith(
                    "/Error"
                ), where
            elif code != "204":
                assert "content" in response, where


def test_write_operations_document_their_request_bodies(schema):
    bodies = {
        operation["operationId"]: operation.get("requestBody")
        for _, method, operation in ours(schema)
        if method in ("post", "patch")
    }
    without = {name for name, body in bodies.items() if body is None}
    assert without == {
        "requests_confirm",
        "incidents_acknowledge",
        "incidents_escalate",
        "incidents_confirm",
        "incidents_close",
        "incidents_report_create",
        "incidents_report_submit",
        "incidents_report_review",
    }
    # File uploads are the one exception to JSON bodies.
    uploads = {"requests_attachments_create"}
    for name, body in bodies.items():
        if body is not None:
            expected = ["multipart/form-data"] if name in uploads else ["application/json"]
            assert list(body["content"]) == expected, name


def test_the_docs_are_served_without_any_cdn(api):
    response = api().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    # The page embeds a random CSRF token, so look for CDN host names, not bare letters.
    for cdn in ("cdn.", "jsdelivr", "unpkg", "cdnjs", "googleapis"):
        assert cdn not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    # Swagger UI from drf-spectacular-sidecar, our stylesheet instead of an inline <style>, and
    # the start-up script from the docs view itself (no inline script: the CSP allows none).
    assert all(
        a.startswith(("/static/drf_spectacular_sidecar/", "/static/css/", "/api/docs/?"))
        for a in assets
    ), assets
    assert not re.search(r"https?://(?!127\.0\.0\.1|localhost|testserver)", html)
