"""A change request from submission to closing, in a real browser, as the people do it:
the representative submits, a steward triages it from the top of the queue and answers with a
canned response (plus an internal note the representative must never see), resolves it, and
the representative reads the answer and confirms. Every page visited is saved as a screenshot.

Time is not frozen (the live server runs in its own thread), so the assertions hold on any
weekday: the only deadlines compared are computed on the same calendar."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tickets import services
from tickets.models import CannedResponse, SupportRequest

pytestmark = pytest.mark.browser

SUBJECT = "Add pandas 2.2 to the image"
DESCRIPTION = (
    "Our course needs **pandas 2.2** in the user image.\n\n"
    "- it is used in week 3\n"
    "- the current image has pandas 1.5"
)
REPLY_EXTRA = "We added **pandas 2.2** to the image; new servers pick it up."
NOTE = "Rebuilt the image with tag 2026-11-b, check the node pool next week."
RESOLUTION = "The new image is live on Alpha Hub."


@pytest.fixture
def canned_responses(db):
    """The live server flushes the database after each test, taking the rows of the data
    migration with it: make sure the canned response the steward picks is there."""
    CannedResponse.objects.get_or_create(
        slug="resolution",
        defaults={
            "purpose": CannedResponse.Purpose.RESOLUTION,
            "title": "Resolution confirmation",
            "body": (
                "Hi {representative_name},\n\nWe believe {reference} ({subject}) is now "
                "resolved. Could you confirm that it works for you?\n\n{steward_name}"
            ),
        },
    )


@pytest.fixture
def older_request(other_rep, other_hub, steward):
    """Another community's request, triaged but not yet answered: its next deadline (first
    response, 24 working hours after it arrived) is later than the new request's triage
    deadline (8 working hours), whatever the day."""
    r = services.request_submit(
        requester=other_rep,
        hub=other_hub,
        subject="Question about storage quotas",
        description="How much home space does each student get?",
    )
    return services.request_triage(
        support_request=r,
        by=steward,
        category=SupportRequest.Category.GUIDANCE,
        expected_version=None,
    )


def log_out(page) -> None:
    page.get_by_role("button", name=re.compile(r"^Log out")).click()
    expect(page.get_by_role("heading", name="Log in", level=1)).to_be_visible()


def test_change_request_goes_from_submission_to_confirmed_closure(
    new_page, rep, hub, steward, older_request, canned_responses, shot
):
    # --- the representative submits ------------------------------------------------------
    page = new_page()
    login(page, "rep_a")
    expect(page).to_have_url(re.compile(r"/requests/$"))
    shot(page, "rep-requests")
    page.get_by_role("link", name="New request").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New support request")
    page.get_by_label("Hub").select_option(label="Alpha Hub")
    page.get_by_label("Subject").fill(SUBJECT)
    page.get_by_label("Description").fill(DESCRIPTION)
    expect(page.locator("#incident-hint")).to_be_hidden()
    shot(page, "rep-new-request-filled")
    page.get_by_role("button", name="Send request").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you: we received your request")
    r = SupportRequest.objects.get(subject=SUBJECT)
    expect(page.locator("#reference")).to_have_text(r.reference)
    assert r.category == "" and not r.likely_incident
    shot(page, "rep-acknowledgement")
    log_out(page)
    shot(page, "rep-logged-out")

    # --- a steward picks it from the top of the queue ------------------------------------
    desk = new_page()
    login(desk, "ann")
    expect(desk).to_have_url(re.compile(r"/desk/$"))
    rows = desk.locator("#queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(r.reference)
    expect(rows.first).to_contain_text("Not yet triaged")
    expect(rows.nth(1)).to_contain_text(older_request.reference)
    shot(desk, "steward-queue")

    phone_desk = new_page(phone=True)
    login(phone_desk, "ann")
    expect(phone_desk.locator("#queue tbody tr").first).to_contain_text(r.reference)
    shot(phone_desk, "steward-queue-phone")

    rows.first.get_by_role("link", name=r.reference).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(f"{r.reference} · {SUBJECT}")
    # The description is rendered Markdown, not raw.
    expect(desk.locator("#description strong")).to_have_text("pandas 2.2")
    shot(desk, "steward-request-new")

    triage = desk.locator("#triage")
    triage.get_by_label("Category").select_option(label="Change request")
    triage.get_by_role("button", name="Save triage").click()
    expect(desk.locator(".messages")).to_contain_text("Triage saved.")
    expect(desk.locator("#badges")).to_contain_text("Change request")
    shot(desk, "steward-request-triaged")

    # --- answer with a canned response, filled in for this request -----------------------
    # A rarely used form: htmx fetches it when the steward opens it.
    desk.locator("#canned-details summary").click()
    desk.get_by_label("Canned response").select_option(label="Resolution confirmation")
    desk.get_by_role("button", name="Fill in").click()
    reply_box = desk.get_by_role("textbox", name="Your reply")
    expect(reply_box).to_have_value(re.compile(r"^Hi Ada,"))
    text = reply_box.input_value()
    assert r.reference in text and SUBJECT in text
    assert "{" not in text, text  # every placeholder filled: {representative_name}, ...
    shot(desk, "steward-canned-filled")
    reply_box.fill(text.replace("Hi Ada,", f"Hi Ada,\n\n{REPLY_EXTRA}", 1))
    desk.get_by_role("button", name="Send reply").click()
    expect(desk.locator(".messages")).to_contain_text("Reply sent to the representative.")
    expect(desk.locator("#conversation")).to_contain_text("We added pandas 2.2")

    desk.get_by_role("textbox", name="Internal note").fill(NOTE)
    desk.get_by_role("button", name="Add note").click()
    expect(desk.locator(".messages")).to_contain_text("Note added.")
    expect(desk.locator("#conversation li.internal")).to_contain_text(NOTE)
    # The history quotes the reply as text, without Markdown markers.
    expect(desk.locator("#history")).to_contain_text("We added pandas 2.2 to the image")
    assert "**" not in desk.locator("#history").inner_text()
    shot(desk, "steward-replied-and-noted")

    desk.locator("#resolve-details summary").click()
    desk.get_by_role("textbox", name="Resolution message").fill(RESOLUTION)
    desk.get_by_role("button", name="Resolve", exact=True).click()
    expect(desk.locator(".messages")).to_contain_text("Resolved")
    expect(desk.locator("#badges")).to_contain_text("Resolved")
    shot(desk, "steward-resolved")

    # --- the representative reads the answer and confirms --------------------------------
    login(page, "rep_a")
    row = page.locator(f"#request-{r.pk}")
    expect(row).to_contain_text("Resolved")
    shot(page, "rep-requests-resolved")
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{r.reference} · {SUBJECT}")
    conversation = page.locator("#conversation")
    expect(conversation).to_contain_text("We added pandas 2.2 to the image")
    expect(conversation.locator("strong", has_text="pandas 2.2")).to_be_visible()
    expect(conversation).to_contain_text(RESOLUTION)
    assert "**" not in conversation.inner_text()
    assert "<strong>" not in conversation.inner_text()
    content = page.content()
    assert NOTE not in content and "Rebuilt the image" not in content
    assert "Internal note" not in page.locator("main").inner_text()
    shot(page, "rep-request-resolved")

    page.get_by_role("button", name="Confirm it is resolved").click()
    expect(page.locator(".messages")).to_contain_text(f"{r.reference} is closed")
    expect(page.locator("#state")).to_have_text("Closed")
    expect(page.locator("#closed-note")).to_be_visible()
    shot(page, "rep-request-closed")
    r.refresh_from_db()
    assert r.status == SupportRequest.Status.CLOSED

    phone = new_page(phone=True)
    login(phone, "rep_a")
    expect(phone.locator(f"#request-{r.pk}")).to_contain_text("Closed")
    shot(phone, "rep-requests-phone")
    phone.goto(f"/requests/{r.pk}/")
    expect(phone.locator("#state")).to_have_text("Closed")
    assert NOTE not in phone.content()
    shot(phone, "rep-request-phone")

    # The desk shows the closed request too (the page a steward lands on after a reload).
    desk.reload()
    expect(desk.locator("#badges")).to_contain_text("Closed")
    expect(desk.locator("#h-details + dl")).to_contain_text("Closed")
    expect(desk.locator("#history")).to_contain_text("Confirmed by representative")
    shot(desk, "steward-request-closed")
