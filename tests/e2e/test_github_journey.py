"""A steward goes from a request to a labelled GitHub issue and sees it close, without leaving
the desk (a fake GitHub API on a local port; GitHub's webhook posted to the live server)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import login
from tests.integrations.test_github import (  # noqa: F401
    fake_github,
    gh_issue,
    issues_event,
    post_webhook,
)
from tickets import services as tickets

pytestmark = pytest.mark.browser


def test_open_an_issue_from_the_request_page_and_see_it_close(
    page,
    shot,
    live_server,
    fake_github,  # noqa: F811 (the fixture imported above)
    rep,
    hub,
    steward,
):
    r = tickets.request_submit(
        requester=rep, hub=hub, subject="Add a GPU profile", description="We need GPUs."
    )
    tickets.request_triage(
        support_request=r, by=steward, category="change", expected_version=r.version
    )
    # Two HTTP round trips (to GitHub, then the page) on a busy CI machine: allow for them.
    page.set_default_timeout(30_000)
    login(page, steward.username)
    page.goto(f"/desk/requests/{r.pk}/")
    page.get_by_role("button", name="Open engineering issue").click()
    page.get_by_text("Engineering issue opened").wait_for()
    github = page.locator("#github")
    assert "octocat/hello-world#1347" in github.inner_text()
    assert "Open" in github.locator(".badge").inner_text()
    shot(page, "issue-opened")
    assert fake_github.created[0]["labels"] == ["support"]

    status, _ = post_webhook(
        live_server, "issues", issues_event("closed", gh_issue(1347, state="closed"))
    )
    assert status == 200
    page.reload()
    assert github.locator(".badge").inner_text() == "Closed"
    shot(page, "issue-closed")
