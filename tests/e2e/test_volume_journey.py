"""The steward's volume work in Chromium, at laptop (1280) and phone (390) widths: an incident on
top of the queue; a bulk assignment of three requests; a saved view reopened from its URL; a
search hit highlighted. Every page visited is saved as a screenshot."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tickets import services
from tickets.models import SupportRequest

pytestmark = pytest.mark.browser


@pytest.fixture
def desk_requests(rep, hub, steward):
    """Three change requests and, submitted last, a likely incident."""
    rows = []
    for subject in ("Quota for the course", "New conda package", "Old kernels"):
        r = services.request_submit(
            requester=rep, hub=hub, subject=subject, description="Please have a look."
        )
        rows.append(
            services.request_triage(
                support_request=r, by=steward, category="change", expected_version=None
            )
        )
    likely = services.request_submit(
        requester=rep,
        hub=hub,
        subject="Nobody can log in",
        description="Since 9:00 the hub answers 500 to every login.",
        cannot_log_in=True,
        affected_users=40,
    )
    return rows, likely


def test_an_incident_is_on_top_of_the_queue(new_page, shot, steward, desk_requests):
    _, likely = desk_requests
    for phone in (False, True):
        page = new_page(phone=phone)
        login(page, steward.username)
        page.goto("/desk/")
        first = page.locator("#queue tbody tr").first
        expect(first).to_contain_text(likely.subject)
        expect(first).to_contain_text("Likely incident")
        if phone:
            # The filters are folded: the queue itself is on the first screen.
            expect(page.locator("#queue-filters")).to_be_hidden()
            box = first.bounding_box()
            assert box is not None and box["y"] < 844
        else:
            expect(page.locator("#queue-filters")).to_be_visible()
        shot(page, "queue-phone" if phone else "queue-laptop")


@pytest.mark.parametrize("phone", [False, True], ids=["laptop", "phone"])
def test_bulk_assign_three_requests(new_page, shot, steward, engineer, desk_requests, phone):
    rows, _ = desk_requests
    page = new_page(phone=phone)
    login(page, steward.username)
    page.goto("/desk/")
    for r in rows:
        page.get_by_label(f"Select {r.reference}", exact=True).check()
    page.locator(".bulk-panel > summary").click()
    page.get_by_label("Action").select_option("assign")
    page.get_by_label("Assign to").select_option(str(engineer.pk))
    shot(page, "ticked")
    page.get_by_role("button", name="Apply to ticked requests").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Assign to: 3 done, 0 refused")
    for r in rows:
        expect(page.locator(f"#result-{r.pk}")).to_contain_text("Done")
    shot(page, "results")
    assert (
        SupportRequest.objects.filter(pk__in=[r.pk for r in rows], assignee=engineer).count() == 3
    )
    page.get_by_role("link", name="Back to the queue").click()
    expect(page.locator("#queue")).to_be_visible()


def test_a_saved_view_reopens_from_its_url(new_page, shot, steward, desk_requests):
    page = new_page()
    login(page, steward.username)
    page.goto("/desk/")
    filters = page.locator("#queue-filters")
    filters.get_by_label("Category").select_option("change")
    filters.get_by_label("Sort by").select_option("received")
    page.get_by_role("button", name="Filter").click()
    page.get_by_label("Save these filters as").fill("Change requests, newest")
    page.get_by_role("button", name="Save view").click()
    link = page.get_by_role("link", name="Change requests, newest")
    expect(link).to_be_visible()
    shot(page, "saved")
    url = link.get_attribute("href")
    # A colleague's browser (another session) opens the shared link.
    other = new_page(phone=True)
    login(other, steward.username)
    other.goto(url)
    expect(other.locator("#id_category")).to_have_value("change")
    expect(other.locator("#id_sort")).to_have_value("received")
    expect(other.locator("#queue tbody tr")).to_have_count(3)
    shot(other, "reopened-phone")


@pytest.mark.parametrize("phone", [False, True], ids=["laptop", "phone"])
def test_a_search_hit_is_highlighted(new_page, shot, steward, desk_requests, phone):
    page = new_page(phone=phone)
    login(page, steward.username)
    page.goto("/desk/")
    if phone:  # the filters are folded on a phone
        page.locator("#queue-filters-panel > summary").click()
    page.get_by_label("Search").fill("conda")
    page.get_by_role("button", name="Filter").click()
    mark = page.locator("#queue tbody tr mark").first
    expect(mark).to_be_visible()
    expect(mark).to_have_text("conda", ignore_case=True)
    expect(page.locator("#queue tbody tr")).to_have_count(1)
    shot(page, "search")
