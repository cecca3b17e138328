"""Every message of the corpus (tests/fixtures/mail/) through `receive_email`, each with the
outcome it must have. The world: Ada represents Alpha Research (hub alpha-hub), Bo represents
Beta Teaching, and Ada's request has been answered by e-mail from the steward."""

from __future__ import annotations

import pytest

from tickets import services
from tickets.inbound import receive_email
from tickets.models import InboundEmail, SupportRequest

from .mailcorpus import corpus_names, load

Status = InboundEmail.Status


@pytest.fixture
def world(settings, answered, other_rep, mail):
    settings.INBOUND_EMAIL_ADDRESS = "support@example.org"
    settings.DEFAULT_FROM_EMAIL = "supportdesk <support@example.org>"
    mail.outbox.clear()
    return answered


def _only_new_request(inbound, r) -> SupportRequest:
    new = inbound.request
    assert new is not None and new.pk != r.pk
    assert new.channel == SupportRequest.Channel.EMAIL
    return new


def check_gmail_new_request(inbound, r, rep, **_):
    new = _only_new_request(inbound, r)
    assert new.subject == "Kernel dies when importing xarray"
    assert new.requester == rep and new.community == r.community
    assert "Three of our students see it." in new.description


def check_reply(expected_body):
    def check(inbound, r, rep, **_):
        assert inbound.request == r
        message = inbound.posted_message
        assert message.request == r and message.author == rep and not message.is_from_staff
        assert message.body == expected_body, message.body
        assert inbound.text.startswith(expected_body.splitlines()[0])

    return check


def check_outlook_reply(inbound, r, **_):
    body = inbound.posted_message.body
    assert "see the log she sent" in body
    assert "Original Message" not in body and "We rebuilt the image" not in body


def check_outlook_html_reply(inbound, r, **_):
    body = inbound.posted_message.body
    assert inbound.request == r
    assert "go ahead with the upgrade tomorrow" in body
    assert "Sent:" not in body and "should we upgrade" not in body


def check_html_only(inbound, r, **_):
    d = _only_new_request(inbound, r).description
    assert "dashboard shows a blank page after login" in d and "Chrome 120" in d
    assert "alert(" not in d and "<script" not in d and "steal" not in d and "color" not in d


def contains(*fragments, subject=None):
    def check(inbound, r, **_):
        new = _only_new_request(inbound, r)
        for fragment in fragments:
            assert fragment in new.description, new.description
        if subject is not None:
            assert new.subject == subject

    return check


def check_missing_message_id(inbound, r, raw, **_):
    _only_new_request(inbound, r)
    assert inbound.message_id.startswith("<synthetic.")
    again = receive_email(raw, source="pipe")  # the same message, another route
    assert not again.created and again.inbound.pk == inbound.pk


def ignored(words):
    def check(inbound, r, outbox, **_):
        assert inbound.request is None and words.lower() in inbound.reason.lower()
        assert outbox == []  # never answered: no auto-responder loop

    return check


def check_unknown_sender(inbound, r, outbox, **_):
    assert inbound.request is None
    assert "not a representative" in inbound.reason
    assert [m.to for m in outbox] == [["zoe@university.example.edu"]]
    assert "a person will look at your message" in outbox[0].body


def check_tag_from_stranger(inbound, r, outbox, **_):
    assert inbound.request is None and r.messages.filter(author__isnull=True).count() == 0
    assert not r.messages.filter(body__contains="password").exists()
    assert [m.to for m in outbox] == [["mallory@evil.example.com"]]


def in_other_community(inbound, r, other_rep, **_):
    new = _only_new_request(inbound, r)
    assert new.requester == other_rep and new.community != r.community


def check_reply_to_resolved(inbound, r, **_):
    r.refresh_from_db()
    assert inbound.request == r and r.status == SupportRequest.Status.TRIAGED
    assert r.events.filter(kind="reopened").exists()


def check_reply_to_closed(inbound, r, **_):
    new = _only_new_request(inbound, r)
    assert new.follow_up_of == r and new.subject == "Kernel dies on import"
    assert "It came back after you closed it." in new.description


def check_no_from(inbound, r, **_):
    assert inbound.request is None and "sender" in inbound.reason


def check_hub_named(inbound, r, hub, **_):
    assert _only_new_request(inbound, r).hub == hub


EXPECTED = {
    "apple-mail-reply.eml": (Status.REPLY, check_reply("Confirmed, it works on my laptop too.")),
    "attachment-5mb.eml": (Status.NEW_REQUEST, contains("attached (5 MB)")),
    "auto-reply.eml": (Status.IGNORED, ignored("Auto-Submitted")),
    "base64-body.eml": (Status.NEW_REQUEST, contains("wait an hour – could you check? ✔")),
    "bounce.eml": (Status.IGNORED, ignored("Auto-Submitted")),
    "bounce-no-auto-submitted.eml": (Status.IGNORED, ignored("multipart/report")),
    "forged-reply-address.eml": (Status.NEW_REQUEST, in_other_community),
    "gmail-new-request.eml": (Status.NEW_REQUEST, check_gmail_new_request),
    "gmail-reply.eml": (Status.REPLY, check_reply("Thanks, the new image works for us.")),
    "html-only.eml": (Status.NEW_REQUEST, check_html_only),
    "hub-named.eml": (Status.NEW_REQUEST, check_hub_named),
    "inline-image.eml": (Status.NEW_REQUEST, contains("This is the error we see")),
    "iso-8859-1.eml": (
        Status.NEW_REQUEST,
        contains("könnt ihr bitte das Paket »cartopy« für", subject="Pakete für den Kurs"),
    ),
    "mailing-list.eml": (Status.IGNORED, ignored("Precedence: list")),
    "malformed-header.eml": (Status.NEW_REQUEST, contains("How much storage")),
    "missing-message-id.eml": (Status.NEW_REQUEST, check_missing_message_id),
    "no-from.eml": (Status.QUARANTINED, check_no_from),
    "out-of-office-x-autoreply.eml": (Status.IGNORED, ignored("X-Autoreply")),
    "outlook-html-reply.eml": (Status.REPLY, check_outlook_html_reply),
    "outlook-reply.eml": (Status.REPLY, check_outlook_reply),
    "own-address.eml": (Status.IGNORED, ignored("our own address")),
    "precedence-bulk.eml": (Status.IGNORED, ignored("Precedence: bulk")),
    "quoted-printable.eml": (
        Status.NEW_REQUEST,
        contains("wrap it with a soft line break, and it must come out as one line — intact."),
    ),
    "reply-to-closed.eml": (Status.NEW_REQUEST, check_reply_to_closed),
    "reply-to-resolved.eml": (Status.REPLY, check_reply_to_resolved),
    "shift-jis.eml": (
        Status.NEW_REQUEST,
        contains("学生が二人困っています", subject="ハブにログインできません"),
    ),
    "tag-from-other-rep.eml": (Status.NEW_REQUEST, in_other_community),
    "tag-from-rep.eml": (
        Status.REPLY,
        check_reply("Writing from my phone: it happens again on the GPU image."),
    ),
    "tag-from-stranger.eml": (Status.UNMATCHED, check_tag_from_stranger),
    "thunderbird-reply.eml": (
        Status.REPLY,
        check_reply("Could you also add the netcdf4 package while you are at it?"),
    ),
    "unknown-charset.eml": (Status.NEW_REQUEST, contains("labels everything with a made-up")),
    "unknown-sender.eml": (Status.UNMATCHED, check_unknown_sender),
}


def test_the_corpus_has_at_least_25_messages_and_each_has_an_expected_outcome():
    assert len(corpus_names()) >= 25
    assert sorted(EXPECTED) == corpus_names()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_message(name, world, rep, other_rep, hub, steward, mail):
    r = world
    if name == "reply-to-resolved.eml":
        r = services.request_resolve(
            support_request=r, by=steward, body="Fixed.", expected_version=None
        )
    elif name == "reply-to-closed.eml":
        r = services.request_close(support_request=r, by=steward)
    mail.outbox.clear()
    raw = load(name, r)
    with mail.capture():
        received = receive_email(raw, source="test")
    inbound = received.inbound
    inbound.refresh_from_db()
    expected_status, check = EXPECTED[name]
    assert received.created
    assert inbound.status == expected_status, inbound.reason
    assert bytes(inbound.raw) == raw  # the original is always kept
    outbox = [m for m in mail.outbox if m.to != [rep.email]]  # acks to Ada are the service's
    check(inbound, r, rep=rep, other_rep=other_rep, hub=hub, raw=raw, outbox=outbox)
