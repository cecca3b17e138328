"""Styled 403, 404 and 500 pages (issue 19): under production settings (also without
collectstatic, when `{% static %}` would raise), under DEBUG with SHOW_STYLED_ERRORS (make run),
and JSON under /api/. SITE_URL follows HOST and PORT unless it is set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.urls import include, path

from supportdesk import errorpages, outages

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _forbidden(request):
    raise PermissionDenied


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [
    path("forbidden/", _forbidden),
    path("boom/", _boom),
    path("", include("supportdesk.urls")),
]
handler403 = "supportdesk.errorpages.permission_denied"
handler404 = "supportdesk.errorpages.page_not_found"
handler500 = "supportdesk.outages.server_error"

MANIFEST = {
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
}


def test_404_is_the_styled_page(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert '<h1 id="error-title">Page not found</h1>' in response.text
    assert 'href="/static/css/app.css"' in response.text


def test_404_without_a_staticfiles_manifest_is_still_a_404(client, settings, tmp_path):
    """Production storage, no collectstatic: {% static %} would raise; the page must not."""
    settings.STORAGES = MANIFEST
    settings.STATIC_ROOT = tmp_path  # empty: no manifest
    settings.DEBUG = False
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.text and "/static/css/app.css" in response.text


def test_api_404_is_json(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@override_settings(ROOT_URLCONF=__name__)
def test_403_is_the_styled_page_also_under_debug(client, settings, rep):
    settings.DEBUG = True
    client.force_login(rep)
    response = client.get("/forbidden/")
    assert response.status_code == 403
    assert "You may not open this page" in response.text
    assert "ask the support team" in response.text  # signed in: no "log in" hint


@override_settings(ROOT_URLCONF=__name__)
def test_500_renders_without_the_database_or_static_manifest(settings, tmp_path, rf):
    settings.STORAGES = MANIFEST
    settings.STATIC_ROOT = tmp_path
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        response = outages.server_error(rf.get("/boom/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_under_debug_the_styled_404_replaces_djangos_page_only_when_asked(client, settings):
    settings.DEBUG = True
    settings.SHOW_STYLED_ERRORS = False
    technical = client.get("/no/such/page/")
    assert technical.status_code == 404 and "DEBUG = True" in technical.text
    settings.SHOW_STYLED_ERRORS = True
    styled = client.get("/no/such/page/")
    assert styled.status_code == 404
    assert "Page not found" in styled.text and "DEBUG = True" not in styled.text


def test_the_middleware_leaves_other_404s_alone(rf, settings):
    from django.http import HttpResponseNotFound

    settings.DEBUG = True
    settings.SHOW_STYLED_ERRORS = True
    middleware = errorpages.StyledErrorsMiddleware(lambda r: HttpResponseNotFound("own text"))
    assert middleware(rf.get("/x/")).content == b"own text"


def test_safe_static_falls_back_to_the_plain_url(settings, tmp_path):
    settings.STORAGES = MANIFEST
    settings.STATIC_ROOT = tmp_path
    assert errorpages.safe_static("css/app.css") == "/static/css/app.css"


def _site_url(**env) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "HOST", "PORT")}
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SITE_URL)"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "supportdesk.settings", "DEBUG": "1", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_site_url_follows_host_and_port_unless_set():
    assert _site_url() == "http://127.0.0.1:8000"
    assert _site_url(PORT="8102") == "http://127.0.0.1:8102"
    assert _site_url(HOST="0.0.0.0", PORT="8102") == "http://127.0.0.1:8102"  # noqa: S104
    assert _site_url(HOST="desk.local", PORT="9000") == "http://desk.local:9000"
    assert _site_url(PORT="8102", SITE_URL="https://support.example.org/") == (
        "https://support.example.org"
    )


def test_make_run_exports_host_port_and_styled_errors_before_starting_anything():
    script = (ROOT / "scripts" / "run.sh").read_text()
    exported = script.index("export HOST PORT")
    assert exported < script.index("runserver") and exported < script.index("celery")
    assert 'export SHOW_STYLED_ERRORS="${SHOW_STYLED_ERRORS:-1}"' in script
