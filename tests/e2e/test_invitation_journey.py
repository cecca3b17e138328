"""Getting a new representative in, in a real browser: an admin invites them from the
community's page, the invitation is read from the sent mail, the representative sets a password
and submits a request; later they reset the password from the login page."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from notifications.models import Notification
from notifications.services import deliver
from tests.e2e.conftest import login
from tickets.models import SupportRequest

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "another long passphrase"


def path_of_link_in_mail(to: str, pattern: str) -> str:
    for n in Notification.objects.filter(status="pending"):
        deliver(notification_id=n.pk)
    links = [
        found.group(1)
        for m in mail.outbox
        if m.to == [to] and (found := re.search(r"https?://[^/\s]+(" + pattern + r"\S*)", m.body))
    ]
    assert links, f"no mail to {to} with a link to {pattern}"
    return links[-1]


def test_an_invited_representative_gets_in_and_asks_for_help(new_page, admin_user, hub, shot):
    # --- the admin invites from the community's page ------------------------------------
    admin = new_page()
    login(admin, "admin")
    admin.goto(f"/communities/{hub.community.slug}/people/")
    expect(admin.get_by_role("heading", level=1)).to_have_text("People: Alpha Research")
    admin.get_by_label("E-mail address").fill("nia@alpha.example")
    shot(admin, "admin-invites")
    admin.get_by_role("button", name="Send invitation").click()
    expect(admin.locator(".messages")).to_contain_text("Invitation sent to nia@alpha.example")
    expect(admin.locator(".pending-invitations")).to_contain_text("nia@alpha.example")
    shot(admin, "admin-pending-invitation")

    # --- the representative opens the link from the e-mail -------------------------------
    link = path_of_link_in_mail("nia@alpha.example", "/invitations/accept/")
    page = new_page()
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to supportdesk")
    expect(page.locator("main")).to_contain_text("Alpha Research")
    page.get_by_label("Username").fill("nia")
    page.get_by_label("First name").fill("Nia")
    page.get_by_label("Last name").fill("Okoro")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    shot(page, "rep-accepts")
    page.get_by_role("button", name="Create my account").click()
    expect(page.locator(".messages")).to_contain_text("Your account is ready")
    shot(page, "rep-welcome")

    # --- and submits a request -----------------------------------------------------------
    page.get_by_role("link", name="New request").first.click()
    page.get_by_label("Hub").select_option(label="Alpha Hub")
    page.get_by_label("Subject").fill("Please add xarray")
    page.get_by_label("Description").fill("We need xarray in the image.")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you: we received your request")
    assert SupportRequest.objects.get(subject="Please add xarray").requester.username == "nia"
    shot(page, "rep-request-sent")

    # --- the link is used up ---------------------------------------------------------------
    other = new_page()
    other.goto(link)
    expect(other.get_by_role("heading", level=1)).to_have_text("This invitation was already used")
    shot(other, "link-used")

    # --- the representative forgets the password and resets it from the login page -------
    page.get_by_role("button", name=re.compile(r"^Log out")).click()
    expect(page.get_by_role("heading", name="Log in", level=1)).to_be_visible()
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("nia@alpha.example")
    shot(page, "reset-request")
    page.get_by_role("button", name="Reset My Password").click()
    expect(page.locator("main")).to_contain_text("We have sent you an email")
    reset = path_of_link_in_mail("nia@alpha.example", "/accounts/password/reset/key/")
    page.goto(reset)
    page.get_by_label("New Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New Password (again)").fill(NEW_PASSWORD)
    shot(page, "reset-new-password")
    page.get_by_role("button", name="Change Password").click()
    expect(page.locator("main")).to_contain_text("Your password is now changed")
    login(page, "nia", NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/requests/$"))
    shot(page, "rep-back-in")
