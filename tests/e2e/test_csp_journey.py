"""The pages other journeys do not visit, under the Content-Security-Policy in a real browser:
Django admin (lists, forms with their widgets, django-celery-beat's task form), the API docs
(Swagger UI from drf-spectacular-sidecar, its start-up script a file of its own), the
two-factor set-up page (its QR code is a data: image) and the new-request form's incident hint
(a static script now). Any violation the console reports fails the test (tests/e2e/conftest.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.factories import SupportBudgetFactory

pytestmark = pytest.mark.browser


def test_admin_pages_run_under_the_policy(page, admin_user, community, hub, shot):
    SupportBudgetFactory(community=community)
    login(page, "admin")
    for url in [
        "/admin/",
        "/admin/communities/supportbudget/",
        "/admin/communities/supportbudget/add/",
        "/admin/communities/hub/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{admin_user.pk}/change/",
        "/admin/django_celery_beat/periodictask/add/",
        "/admin/tickets/supportrequest/",
    ]:
        response = page.goto(url)
        assert response.status == 200, url
        page.wait_for_load_state("load")
    shot(page, "admin-periodic-task-form")
    # The periodic-task form's script (a static file now) hid the translation row.
    expect(page.locator(".field-crontab_translation")).to_be_hidden()


def test_the_api_docs_render_under_the_policy(page, steward, shot):
    login(page, "ann")
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("supportdesk API")
    expect(page.locator(".opblock").first).to_be_visible()
    shot(page, "api-docs")


def test_two_factor_set_up_shows_its_qr_code(page, rep, shot):
    login(page, "rep_a")
    page.goto("/accounts/2fa/totp/activate/")
    if "/reauthenticate/" in page.url:  # allauth asks for the password again first
        page.get_by_label("Password").fill("pw")
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_url("**/2fa/totp/activate/")
    qr = page.locator("img.qr-code")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    shot(page, "totp-activate")


def test_the_incident_hint_on_the_request_form_is_a_static_script(page, rep, hub, shot):
    login(page, "rep_a")
    page.goto("/requests/new/")
    hint = page.locator("#incident-hint")
    expect(hint).to_be_hidden()
    page.get_by_label("Users cannot start their servers").check()
    page.get_by_label("How many users").fill("12")
    expect(hint).to_be_visible()
    shot(page, "incident-hint")
