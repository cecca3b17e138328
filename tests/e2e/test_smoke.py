"""The browser can log in and every role lands on its home page."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.browser


def test_representative_logs_in_and_lands_on_their_requests(page, rep, shot):
    login(page, "rep_a")
    shot(page, "representative-home")
    assert page.locator("h1").first.is_visible()
    assert "/requests/" in page.url


def test_public_status_page_needs_no_login(page, hub, shot):
    page.goto("/status/")
    shot(page, "status")
    assert page.get_by_role("heading", level=1).first.is_visible()
