"""The request page as two stewards use it at once (issue 19), in real Chromium at laptop
(1280) and phone (390) widths, every step saved as a screenshot: each sees the other (the htmx
presence poll), a reply written before a colleague's is held until "send anyway"; a canned
reply with a placeholder left is refused and names it; a likely incident has "Declare incident"
at the top of the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.e2e.test_incident_journey import visit
from tickets import services
from tickets.models import Message

pytestmark = pytest.mark.browser


@pytest.fixture
def triaged(rep, hub, steward, rotation):
    r = services.request_submit(
        requester=rep,
        hub=hub,
        subject="Kernel dies on import",
        description="Importing *xarray* kills the kernel.",
    )
    return services.request_triage(
        support_request=r, by=steward, category="change", expected_version=r.version
    )


def test_two_stewards_see_each_other_and_a_late_reply_is_held(
    new_page, shot, triaged, steward, engineer
):
    ann, cat = new_page(), new_page(phone=True)
    login(ann, steward.username)
    login(cat, engineer.username)
    url = f"/desk/requests/{triaged.pk}/"
    ann.goto(url)
    cat.goto(url)
    # Cat's first poll (on load) finds Ann there.
    expect(cat.locator("#presence")).to_contain_text("Ann Eng has it open")
    # Ann starts typing: her poll runs early and finds Cat.
    ann.locator("#id_reply-body").fill("We found the cause: ")
    expect(ann.locator("#presence")).to_contain_text("Cat Eng has it open")
    visit(shot, ann, "ann-laptop-sees-cat")
    # Cat types too: her early poll shows Ann typing.
    cat.locator("#id_reply-body").fill("Could you send the notebook?")
    expect(cat.locator("#presence")).to_contain_text("Ann Eng is typing a reply")
    visit(shot, cat, "cat-phone-sees-ann-typing")

    # Ann sends first; Cat's reply, written before Ann's arrived, is held.
    ann.locator("#id_reply-body").fill("We found the cause: a broken wheel. Fixed.")
    ann.get_by_role("button", name="Send reply").click()
    expect(ann.locator(".messages")).to_contain_text("Reply sent")
    cat.get_by_role("button", name="Send reply").click()
    expect(cat.locator(".messages")).to_contain_text("after you opened it")
    expect(cat.locator("#id_reply-body")).to_have_value("Could you send the notebook?")
    expect(cat.locator(".new-message")).to_contain_text("a broken wheel")
    visit(shot, cat, "cat-phone-reply-held")
    assert not Message.objects.filter(body="Could you send the notebook?").exists()
    cat.get_by_label("Send anyway: I have read the new message").check()
    cat.get_by_role("button", name="Send reply").click()
    expect(cat.locator(".messages")).to_contain_text("Reply sent")
    assert Message.objects.filter(body="Could you send the notebook?").exists()


@pytest.mark.parametrize("phone", [False, True], ids=["laptop", "phone"])
def test_a_canned_reply_with_a_placeholder_left_is_refused(new_page, shot, triaged, steward, phone):
    page = new_page(phone=phone)
    login(page, steward.username)
    page.goto(f"/desk/requests/{triaged.pk}/")
    # A rarely used form: htmx fetches it when the steward opens it.
    page.locator("#canned-details summary").click()
    page.get_by_label("Canned response").select_option(label="Incident acknowledgement")
    page.get_by_role("button", name="Fill in").click()
    body = page.locator("#id_reply-body")
    expect(body).to_have_value(re.compile(r"\{context\}"))
    page.get_by_role("button", name="Send reply").click()
    error = page.locator("#reply .errorlist")
    expect(error).to_contain_text("fill in {context} first")
    expect(body).to_have_value(re.compile(r"Thank you for reporting this"))
    visit(shot, page, "placeholder-refused")
    assert not Message.objects.filter(request=triaged, is_from_staff=True).exists()
    body.fill(body.input_value().replace("{context}", "a full disk on the node"))
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".messages")).to_contain_text("Reply sent")


@pytest.mark.parametrize("phone", [False, True], ids=["laptop", "phone"])
def test_declare_incident_is_at_the_top_of_a_likely_incident(
    new_page, shot, rep, hub, steward, rotation, phone
):
    likely = services.request_submit(
        requester=rep,
        hub=hub,
        subject="Nobody can start a server",
        description="Spawner times out for the whole class.",
        cannot_start_servers=True,
        affected_users=30,
    )
    page = new_page(phone=phone)
    login(page, steward.username)
    page.goto(f"/desk/requests/{likely.pk}/")
    button = page.locator("#likely-incident").get_by_role("link", name="Declare incident")
    expect(button).to_be_in_viewport()  # on the first screen, without scrolling
    visit(shot, page, "declare-on-top")
    button.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Declare")
