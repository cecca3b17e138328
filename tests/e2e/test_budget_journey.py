"""Logged time draws on the community's support budget, as the admin sees it: the admin reads
the community's month in the SupportBudget changelist, a steward logs 90 minutes on a change
request through its page, and the admin's reload shows 1.5 h less remaining and a longer bar.
Every page visited is saved as a screenshot.

Time is not frozen; the budget row is for the community's current month, whatever the day."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from communities.services import month_of
from tests.e2e.conftest import login
from tests.factories import SupportBudgetFactory
from tickets import services
from tickets.models import SupportRequest

pytestmark = pytest.mark.browser

CHANGELIST = "/admin/communities/supportbudget/"


@pytest.fixture
def budget(community):
    return SupportBudgetFactory(
        community=community,
        month=month_of(timezone.now(), community=community),
        hours=Decimal("10"),
    )


@pytest.fixture
def change_request(rep, hub, steward):
    r = services.request_submit(
        requester=rep,
        hub=hub,
        subject="More memory for the GPU profile",
        description="Students run out of memory with **16 GB**.",
    )
    return services.request_triage(
        support_request=r,
        by=steward,
        category=SupportRequest.Category.CHANGE,
        expected_version=None,
    )


def budget_row(page, budget):
    row = page.locator("#result_list tbody tr", has_text=budget.community.name).filter(
        has_text=budget.month.strftime("%Y-%m")
    )
    expect(row).to_have_count(1)
    return row


def read_row(row) -> dict:
    return {
        "hours": Decimal(row.locator("td.field-hours").inner_text().strip()),
        "used": Decimal(row.locator("td.field-used").inner_text().strip()),
        "remaining": Decimal(row.locator("td.field-remaining").inner_text().strip()),
        "percent_text": row.locator("td.field-percent").inner_text().strip(),
        "meter": float(row.locator("td.field-percent meter").get_attribute("value")),
    }


def test_logged_time_lowers_the_remaining_budget_the_admin_sees(
    new_page, admin_user, budget, change_request, shot
):
    # --- the admin reads the community's month ---------------------------------------------
    admin = new_page()
    login(admin, "admin")
    admin.goto(CHANGELIST)
    expect(admin.get_by_role("heading", level=1)).to_contain_text("support budget")
    before = read_row(budget_row(admin, budget))
    assert before == {
        "hours": Decimal("10.00"),
        "used": Decimal("0.00"),
        "remaining": Decimal("10.00"),
        "percent_text": "0%",
        "meter": 0.0,
    }
    shot(admin, "admin-budgets-before")

    # --- a steward logs 90 minutes on the request ------------------------------------------
    desk = new_page()
    login(desk, "ann")
    desk.goto(f"/desk/requests/{change_request.pk}/")
    expect(desk.get_by_role("heading", level=1)).to_contain_text(change_request.reference)
    time_card = desk.locator("#time")
    expect(time_card).to_contain_text("0.00 of 10.00 h used")
    shot(desk, "steward-request-before-logging")
    time_card.locator("summary").click()  # the form is fetched when opened (htmx)
    time_card.get_by_label("Minutes worked").fill("90")
    time_card.get_by_label("What was done (optional)").fill("Resized the GPU profile")
    time_card.get_by_role("button", name="Log time").click()
    expect(desk.locator(".messages")).to_contain_text("Time logged.")
    time_card = desk.locator("#time")
    expect(time_card).to_contain_text("1.50 of 10.00 h used")
    expect(desk.locator("#time-entries")).to_contain_text("90 min")
    expect(desk.locator("#time-entries")).to_contain_text("Resized the GPU profile")
    expect(time_card.get_by_role("img", name="15% of the budget used")).to_be_visible()
    shot(desk, "steward-request-time-logged")

    desk.get_by_role("navigation", name="Main").get_by_role("link", name="Budgets").click()
    overview = desk.locator(f'#budget-overview tr[data-community="{budget.community.slug}"]')
    expect(overview).to_contain_text("1.50 h")
    expect(overview).to_contain_text("8.50 h")
    shot(desk, "steward-budget-overview")
    overview.get_by_role("link", name=budget.community.name).click()
    expect(desk.locator('#budget-current [data-field="remaining"]')).to_have_text("8.50 h")
    expect(desk.locator("#budget-current")).to_contain_text(change_request.reference)
    shot(desk, "steward-community-budget")

    # --- the admin reloads: 1.5 h less remaining, a longer bar ------------------------------
    admin.reload()
    after = read_row(budget_row(admin, budget))
    assert after["hours"] == before["hours"]
    assert after["used"] - before["used"] == Decimal("1.50")
    assert before["remaining"] - after["remaining"] == Decimal("1.50")
    assert after["remaining"] == Decimal("8.50")
    assert after["percent_text"] == "15%" and after["meter"] == 15.0
    assert after["meter"] > before["meter"]
    shot(admin, "admin-budgets-after")

    admin.get_by_role("link", name=budget.community.name).click()
    expect(admin.locator(".field-time_entries")).to_contain_text(change_request.reference)
    expect(admin.locator(".field-time_entries")).to_contain_text("1.50")
    shot(admin, "admin-budget-detail")
