"""The status page with 500 hubs (issue 19), in Chromium at laptop and phone width: the hubs
with problems first, communities collapsed, the search box filtering as one types (static
JavaScript) and, without it, answering a plain GET."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from communities.models import Community, Hub

pytestmark = pytest.mark.browser

HUBS = 500


@pytest.fixture
def five_hundred_hubs(db):
    communities = Community.objects.bulk_create(
        Community(slug=f"c{n:03d}", name=f"Community {n:03d}") for n in range(HUBS)
    )
    Hub.objects.bulk_create(
        Hub(
            community=c,
            slug=f"hub-{n:03d}",
            name=f"Hub {n:03d}",
            url=f"https://hub-{n:03d}.example.org",
            status_override=Hub.Status.OUTAGE if n in (123, 456) else "",
            status_override_reason="Storage is full." if n in (123, 456) else "",
        )
        for n, c in enumerate(communities)
    )
    from availability import status as rules

    rules._bump()


def test_the_status_page_with_500_hubs_on_a_laptop_and_a_phone(new_page, five_hundred_hubs, shot):
    page = new_page()
    # The first, uncached render of 500 tiles may take seconds on a busy CI machine.
    page.set_default_timeout(60_000)
    page.goto("/status/")
    shot(page, "status-500-laptop")
    problems = page.locator("#problems .hub-tile")
    expect(problems).to_have_count(2)
    assert problems.first.locator(".hub-name").inner_text() == "Hub 123"
    # Only the two communities with a problem are open: the rest is one line each.
    assert page.locator("details.community-group[open]").count() == 2
    assert page.locator("details.community-group").count() == HUBS

    phone = new_page(phone=True)
    phone.set_default_timeout(60_000)
    phone.goto("/status/")
    shot(phone, "status-500-phone")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    height = phone.evaluate("document.documentElement.scrollHeight")
    assert height < 30_000, f"{height} px on a phone for 500 hubs"

    # Typing filters at once (static JS) and says how many match.
    phone.get_by_label("Find a hub or community").fill("hub 45")
    expect(phone.locator("#hub-search-count")).to_have_text("10 hubs match")
    expect(phone.locator("details.community-group:not([hidden])")).to_have_count(10)
    shot(phone, "status-500-phone-typed")
    # The same search without JavaScript: the form's plain GET.
    phone.get_by_role("button", name="Search").click()
    phone.wait_for_load_state()
    assert "q=hub+45" in phone.url
    assert phone.locator("details.community-group").count() == 10
    shot(phone, "status-500-phone-searched")
