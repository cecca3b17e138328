"""E-mail as a channel, end to end, with real servers: a representative's mail arrives through
Dovecot (IMAP, polled as beat would), the steward sees it in the queue marked "E-mail" and
answers in the browser; the answer leaves through a real SMTP server (aiosmtpd) carrying
In-Reply-To and the signed Reply-To; the representative's Gmail-style reply to it lands in the
same request with the quoted history stripped; the attached file downloads for the steward and
the representative, and is a 404 for another community's representative. Then an unknown
sender's mail shows as unmatched, is attached to a community, and the sender was acknowledged
once. Every page is saved as a screenshot."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from playwright.sync_api import expect

from supportdesk import mailthread
from supportdesk.celery import app as celery_app
from tests.e2e.conftest import login
from tickets.imap import inbound_imap_poll
from tickets.models import InboundEmail, SupportRequest

pytestmark = pytest.mark.browser

LOG = b"2026-12-01T09:58:01 kernel died: ImportError in xarray\n"


@pytest.fixture
def eager_mail(settings):
    """Notifications are delivered in-process (to the SMTP sink), as a worker would."""
    settings.INBOUND_EMAIL_ADDRESS = "support@example.org"
    settings.DEFAULT_FROM_EMAIL = "supportdesk <support@example.org>"
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def first_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Ada Rep <rep_a@example.org>"
    msg["To"] = "support@example.org"
    msg["Subject"] = "Kernel dies when importing xarray"
    msg["Message-ID"] = "<CAH7-first@mail.gmail.com>"
    msg.set_content("Hi team,\n\nThe kernel dies as soon as we import xarray. Log attached.\n\nAda")
    msg.add_attachment(LOG, maintype="text", subtype="plain", filename="kernel.log")
    return bytes(msg)


def gmail_reply(to_ours) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Ada Rep <rep_a@example.org>"
    msg["To"] = to_ours["Reply-To"]
    msg["Subject"] = f"Re: {to_ours['Subject']}"
    msg["Message-ID"] = "<CAH7-second@mail.gmail.com>"
    msg["In-Reply-To"] = to_ours["Message-ID"]
    msg["References"] = f"<CAH7-first@mail.gmail.com> {to_ours['Message-ID']}"
    quoted = "\n".join(f"> {line}" for line in to_ours.get_content().splitlines())
    msg.set_content(
        "Thanks, the rebuilt image works for all our students.\n\n"
        "On Tue, Dec 1, 2026 at 10:30 AM supportdesk <support@example.org> wrote:\n\n"
        f"{quoted}\n"
    )
    return bytes(msg)


def to(sink, address):
    return [m for m in sink.parsed() if m["To"] == address]


def test_a_representatives_mail_is_answered_in_the_browser_and_the_thread_comes_back(
    new_page, dovecot, smtp_sink, eager_mail, rep, other_rep, hub, community, steward, shot
):
    # --- Ada's mail arrives in the support mailbox, beat polls it -------------------------
    dovecot.append(first_mail())
    assert inbound_imap_poll(url=dovecot.url).stored == 1
    r = SupportRequest.objects.get()
    assert r.channel == "email" and r.requester == rep
    (ack,) = to(smtp_sink, rep.email)
    assert ack["In-Reply-To"] == "<CAH7-first@mail.gmail.com>"

    # --- the steward sees it in the queue, marked "E-mail", and answers in the browser ----
    desk = new_page()
    login(desk, "ann")
    row = desk.locator(f"#request-{r.pk}")
    expect(row).to_contain_text("E-mail")
    expect(row).to_contain_text("Kernel dies when importing xarray")
    shot(desk, "steward-queue-email")
    row.get_by_role("link", name=r.reference).click()
    expect(desk.locator("#description")).to_contain_text("The kernel dies as soon as we import")
    expect(desk.get_by_role("link", name="kernel.log")).to_be_visible()
    shot(desk, "steward-request-from-email")
    desk.get_by_role("textbox", name="Your reply").fill(
        "We rebuilt the image with a fixed xarray. Could you try again?"
    )
    desk.get_by_role("button", name="Send reply").click()
    expect(desk.locator(".messages")).to_contain_text("Reply sent to the representative.")
    shot(desk, "steward-replied")

    ack, answer = to(smtp_sink, rep.email)
    assert answer["In-Reply-To"] == ack["Message-ID"]
    assert "<CAH7-first@mail.gmail.com>" in answer["References"]
    assert answer["Reply-To"] == mailthread.request_reply_address(r.pk)
    assert answer["Subject"].startswith(f"[{r.reference}] ")
    assert "We rebuilt the image" in answer.get_content()

    # --- Ada replies from Gmail, quoting everything: it lands in the request, quote gone --
    dovecot.append(gmail_reply(answer))
    assert inbound_imap_poll(url=dovecot.url).stored == 1
    reply = r.messages.get(is_from_staff=False)
    assert reply.body == "Thanks, the rebuilt image works for all our students."
    desk.reload()
    conversation = desk.locator("#conversation")
    expect(conversation).to_contain_text("works for all our students")
    expect(conversation).to_contain_text("by e-mail")
    expect(conversation).not_to_contain_text("wrote:")
    shot(desk, "steward-sees-emailed-reply")

    # --- the file: the steward and Ada download it; Bo (another community) gets a 404 -----
    with desk.expect_download() as steward_download:
        desk.get_by_role("link", name="kernel.log").click()
    assert steward_download.value.suggested_filename == "kernel.log"
    file_url = desk.get_by_role("link", name="kernel.log").get_attribute("href")

    ada = new_page()
    login(ada, "rep_a")
    ada.goto(f"/requests/{r.pk}/")
    expect(ada.locator("#conversation")).to_contain_text("works for all our students")
    shot(ada, "rep-sees-the-thread")
    with ada.expect_download() as rep_download:
        ada.get_by_role("link", name="kernel.log").click()
    with open(rep_download.value.path(), "rb") as handle:
        assert handle.read() == LOG

    bo = new_page()
    login(bo, "rep_b")
    denied = bo.request.get(file_url)
    assert denied.status == 404
    bo.goto(file_url)
    shot(bo, "other-community-gets-404")


def test_an_unknown_senders_mail_is_unmatched_then_attached_to_a_community(
    new_page, dovecot, smtp_sink, eager_mail, community, steward, shot
):
    stranger = EmailMessage()
    stranger["From"] = "Zoe Stranger <zoe@university.example.edu>"
    stranger["To"] = "support@example.org"
    stranger["Subject"] = "Can our lab get a hub?"
    stranger["Message-ID"] = "<zoe-1@university.example.edu>"
    stranger.set_content("Hello, we would like a JupyterHub for a course next term.\n\nZoe")
    dovecot.append(bytes(stranger))
    dovecot.append(bytes(stranger), folder="INBOX")  # delivered twice by a confused server
    result = inbound_imap_poll(url=dovecot.url)
    assert (result.stored, result.seen_before) == (1, 1)
    assert InboundEmail.objects.get().status == "unmatched"
    assert SupportRequest.objects.count() == 0

    desk = new_page()
    login(desk, "ann")
    desk.get_by_role("link", name="Incoming mail").click()
    card = desk.locator("article", has_text="Can our lab get a hub?")
    expect(card).to_contain_text("Unmatched sender")
    expect(card).to_contain_text("not a representative of any community")
    shot(desk, "steward-incoming-mail")
    card.get_by_label("File under community").select_option(label=community.name)
    card.get_by_role("button", name="Attach to community").click()
    r = SupportRequest.objects.get()
    expect(desk).to_have_url(re.compile(rf"/desk/requests/{r.pk}/$"))
    expect(desk.locator(".messages")).to_contain_text(f"Filed as {r.reference} for {community}")
    shot(desk, "steward-filed-unmatched")
    assert r.community == community and r.requester.email == "zoe@university.example.edu"
    desk.get_by_role("link", name="Incoming mail").click()
    expect(desk.locator("main")).to_contain_text("Nothing waits for you")

    # Acknowledged once: when it arrived, not again when it was delivered twice or filed.
    acks = to(smtp_sink, "zoe@university.example.edu")
    assert len(acks) == 1 and "a person will look at your message" in acks[0].get_content()


def test_an_unknown_sender_is_filed_and_invited_in_one_step_then_gets_in(
    new_page, dovecot, smtp_sink, eager_mail, community, steward, shot
):
    stranger = EmailMessage()
    stranger["From"] = "Zoe Stranger <zoe@university.example.edu>"
    stranger["To"] = "support@example.org"
    stranger["Subject"] = "Can our lab get a hub?"
    stranger["Message-ID"] = "<zoe-2@university.example.edu>"
    stranger.set_content("Hello, we would like a JupyterHub for a course next term.\n\nZoe")
    dovecot.append(bytes(stranger))
    assert inbound_imap_poll(url=dovecot.url).stored == 1

    desk = new_page()
    login(desk, "ann")
    desk.get_by_role("link", name="Incoming mail").click()
    card = desk.locator("article", has_text="Can our lab get a hub?")
    card.get_by_label("File under community").select_option(label=community.name)
    shot(desk, "steward-about-to-invite")
    card.get_by_role(
        "button", name="Attach and invite zoe@university.example.edu as its representative"
    ).click()
    r = SupportRequest.objects.get()
    expect(desk).to_have_url(re.compile(rf"/desk/requests/{r.pk}/$"))
    expect(desk.locator(".messages")).to_contain_text(
        "zoe@university.example.edu is invited to be a representative"
    )
    shot(desk, "steward-filed-and-invited")

    # Zoe got the acknowledgement when her mail arrived, and now the invitation.
    mails = to(smtp_sink, "zoe@university.example.edu")
    assert len(mails) == 2
    invitation = [m for m in mails if "invited" in m["Subject"]]
    assert len(invitation) == 1 and community.name in invitation[0]["Subject"]
    link = re.search(r"https?://[^/\s]+(/invitations/accept/\S+/)", invitation[0].get_content())
    page = new_page()
    page.goto(link.group(1))
    expect(page.locator("main")).to_contain_text(community.name)
    page.get_by_label("Username").fill("zoe")
    page.get_by_label("First name").fill("Zoe")
    page.get_by_label("Last name").fill("Stranger")
    page.get_by_label("Password", exact=True).fill("correct horse battery staple")
    page.get_by_label("Password again").fill("correct horse battery staple")
    page.get_by_role("button", name="Create my account").click()
    expect(page.locator(".messages")).to_contain_text("Your account is ready")
    # The request filed from her mail is hers.
    page.goto(f"/requests/{r.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(r.reference)
    shot(page, "invited-sender-sees-her-request")
