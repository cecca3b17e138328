"""Keyboard shortcuts (issue 19), in real Chromium: j/k move through the queue and Enter opens
the request; r, n and a go to the reply, the note and the assignee; ? opens the help dialog
(Esc closes it); nothing fires while typing in a field."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.e2e.test_incident_journey import visit
from tickets import services

pytestmark = pytest.mark.browser


@pytest.fixture
def three_requests(rep, hub, rotation):
    return [
        services.request_submit(
            requester=rep, hub=hub, subject=f"Request number {i}", description="Details."
        )
        for i in range(3)
    ]


def test_a_steward_works_the_queue_and_a_request_from_the_keyboard(
    page, shot, three_requests, steward
):
    login(page, steward.username)
    page.goto("/desk/")
    page.keyboard.press("j")
    first = page.locator("#queue tbody tr.row-current")
    expect(first).to_have_count(1)
    first_link = first.locator("a").first
    expect(first_link).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    second = page.locator("#queue tbody tr.row-current a").first
    expect(second).to_be_focused()
    href = second.get_attribute("href")
    visit(shot, page, "queue-row-selected")
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Write an internal note")
    shot(page, "queue-help")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))

    page.keyboard.press("r")
    expect(page.locator("#id_reply-body")).to_be_focused()
    page.keyboard.type("naan")  # typed into the reply: no shortcut fires
    expect(page.locator("#id_reply-body")).to_have_value("naan")
    expect(page.locator("#id_reply-body")).to_be_focused()
    page.locator("h1").click()
    page.keyboard.press("n")
    expect(page.locator("#id_note-body")).to_be_focused()
    page.locator("h1").click()
    page.keyboard.press("a")
    expect(page.locator("#id_triage-assignee")).to_be_focused()
    visit(shot, page, "request-assignee-focused")


def test_the_help_opens_from_the_footer_on_a_phone_and_not_for_representatives(
    new_page, shot, three_requests, steward, rep
):
    phone = new_page(phone=True)
    login(phone, steward.username)
    phone.goto("/desk/")
    phone.get_by_role("button", name=re.compile("Keyboard shortcuts")).click()
    dialog = phone.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    shot(phone, "phone-help")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    member = new_page()
    login(member, rep.username)
    member.goto("/requests/")
    member.keyboard.press("?")
    expect(member.get_by_role("dialog")).to_have_count(0)
