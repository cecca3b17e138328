"""Issue 19 in real Chromium, at laptop (1280) and phone (390) widths, every step saved as a
screenshot: the representative's list says whose move it is ("Waiting on us: answer due in
..."), in Spanish for a representative who chose it; the representative's reply is held when
the team wrote meanwhile, like the steward's; a steward closes a request as a duplicate of
another from its page, and a reference it cannot use is refused with a clear error."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.e2e.test_incident_journey import visit
from tickets import services
from tickets.models import Message, SupportRequest

pytestmark = pytest.mark.browser

VIEWPORTS = pytest.mark.parametrize("phone", [False, True], ids=["laptop", "phone"])


@pytest.fixture
def submitted(rep, hub, rotation):
    """A change request and a likely incident, both waiting on the team."""
    change = services.request_submit(
        requester=rep, hub=hub, subject="A newer R kernel", description="For the course."
    )
    likely = services.request_submit(
        requester=rep,
        hub=hub,
        subject="Nobody can log in",
        description="Every login answers 500.",
        cannot_log_in=True,
        affected_users=40,
    )
    return change, likely


@VIEWPORTS
def test_the_representatives_list_says_whose_move_it_is(new_page, shot, rep, submitted, phone):
    change, likely = submitted
    page = new_page(phone=phone)
    login(page, rep.username)
    page.goto("/requests/")
    row = page.locator(f"#request-{likely.pk}")
    expect(row).to_contain_text("Waiting on us:")
    expect(row).to_contain_text("Likely incident")
    expect(page.locator(f"#request-{change.pk}")).to_contain_text("Waiting on us:")
    visit(shot, page, "list")


def test_a_spanish_representative_reads_the_list_and_the_request_in_spanish(
    new_page, shot, rep, submitted
):
    rep.language = "es"
    rep.save(update_fields=["language"])
    change, likely = submitted
    page = new_page(phone=True)
    login(page, rep.username)
    page.goto("/requests/")
    expect(page.locator(f"#request-{likely.pk}")).to_contain_text("Esperando nuestra respuesta")
    expect(page.locator(f"#request-{likely.pk}")).to_contain_text("Probable incidente")
    visit(shot, page, "lista")
    page.goto(f"/requests/{change.pk}/")
    expect(page.get_by_role("button", name="Enviar respuesta")).to_be_visible()
    visit(shot, page, "solicitud")


def test_the_representatives_reply_is_held_when_the_team_wrote_meanwhile(
    new_page, shot, rep, steward, submitted
):
    change, _ = submitted
    change = services.request_triage(
        support_request=change, by=steward, category="change", expected_version=change.version
    )
    page = new_page()
    login(page, rep.username)
    page.goto(f"/requests/{change.pk}/")
    page.locator("#id_reply-body").fill("Any news?")
    services.request_reply(support_request=change, by=steward, body="The kernel is being built.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".messages")).to_contain_text("after you opened it")
    expect(page.locator(".new-message")).to_contain_text("The kernel is being built.")
    expect(page.locator("#id_reply-body")).to_have_value("Any news?")
    visit(shot, page, "reply-held")
    assert not Message.objects.filter(body="Any news?").exists()
    page.get_by_label("Send anyway: I have read the new message").check()
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".messages")).to_contain_text("Your reply was sent")
    assert Message.objects.filter(body="Any news?").exists()


@VIEWPORTS
def test_a_steward_closes_a_request_as_a_duplicate_from_its_page(
    new_page, shot, rep, steward, submitted, phone
):
    change, _ = submitted
    original = services.request_submit(
        requester=rep, hub=change.hub, subject="R 4.4 please", description="Same as before."
    )
    for r in (change, original):
        services.request_triage(
            support_request=r, by=steward, category="change", expected_version=None
        )
    page = new_page(phone=phone)
    login(page, steward.username)
    page.goto(f"/desk/requests/{change.pk}/")
    page.locator("#duplicate-details summary").click()
    field = page.get_by_label("Duplicate of (reference)")
    field.fill("SD-999999")
    page.get_by_role("button", name="Close as duplicate").click()
    expect(page.locator("#duplicate-form .errorlist")).to_contain_text(
        "There is no request SD-999999."
    )
    visit(shot, page, "duplicate-refused")
    page.get_by_label("Duplicate of (reference)").fill(original.reference)
    page.get_by_role("button", name="Close as duplicate").click()
    expect(page.locator(".messages")).to_contain_text(
        f"Closed as a duplicate of {original.reference}"
    )
    visit(shot, page, "duplicate-closed")
    change.refresh_from_db()
    assert change.status == SupportRequest.Status.CLOSED and change.duplicate_of == original
