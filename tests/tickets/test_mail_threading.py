"""Outgoing e-mail threads: captured as the exact bytes a real SMTP server (aiosmtpd) received.
Each e-mail about a request carries our stored Message-ID (the same on a retry), In-Reply-To and
References naming the previous message of the request, the [SD-n] tag and the signed Reply-To;
a reply to it comes back into the same request."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from notifications import services as notification_services
from notifications.models import Notification
from supportdesk import mailthread
from tickets import services
from tickets.inbound import receive_email
from tickets.models import InboundEmail

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _support_address(settings):
    settings.INBOUND_EMAIL_ADDRESS = "support@example.org"
    settings.DEFAULT_FROM_EMAIL = "supportdesk <support@example.org>"


def _to_rep(sink, rep):
    return [m for m in sink.parsed() if m["To"] == rep.email]


def test_ack_and_reply_thread_and_the_reply_comes_back(smtp_sink, rep, hub, steward, clock, mail):
    with mail.capture():
        r = services.request_submit(requester=rep, hub=hub, subject="Kernel dies", description="x")
    clock.shift(600)
    with mail.capture():
        services.request_reply(support_request=r, by=steward, body="We rebuilt the image.")
    ack, reply = _to_rep(smtp_sink, rep)
    stored = dict(
        Notification.objects.filter(request=r, channel="email").values_list("kind", "message_id")
    )
    assert ack["Message-ID"] == stored["request_ack"]
    assert reply["Message-ID"] == stored["request_reply"]
    assert ack["Message-ID"] != reply["Message-ID"]
    for sent in (ack, reply):
        assert sent["Subject"].startswith(f"[{r.reference}] ")
        assert sent["Reply-To"] == mailthread.request_reply_address(r.pk)
        assert mailthread.request_pk_from_address(sent["Reply-To"]) == r.pk
    assert ack["In-Reply-To"] is None  # the first message of a web request
    assert reply["In-Reply-To"] == ack["Message-ID"]
    assert reply["References"] == ack["Message-ID"]

    # Ada answers from her mail client (Gmail style: only In-Reply-To/References, to the
    # plain support address): the answer lands in the same request, quote stripped.
    answer = EmailMessage()
    answer["From"] = f"Ada Rep <{rep.email}>"
    answer["To"] = "support@example.org"
    answer["Subject"] = f"Re: {reply['Subject']}"
    answer["Message-ID"] = "<CAH-answer-1@mail.gmail.com>"
    answer["In-Reply-To"] = reply["Message-ID"]
    answer["References"] = f"{ack['Message-ID']} {reply['Message-ID']}"
    answer.set_content(
        "It works now, thanks!\n\nOn Fri, Mar 13, 2026 at 8:00 PM supportdesk "
        "<support@example.org> wrote:\n> We rebuilt the image.\n"
    )
    clock.shift(600)
    with mail.capture():
        received = receive_email(bytes(answer), source="test")
    assert received.inbound.request == r and received.inbound.reason == "threaded by references"
    assert r.messages.filter(is_from_staff=False).get().body == "It works now, thanks!"

    # Our next e-mail names the whole thread, theirs included, and answers their last one.
    clock.shift(600)
    with mail.capture():
        services.request_reply(support_request=r, by=steward, body="Great, resolving.")
    third = _to_rep(smtp_sink, rep)[-1]
    assert third["In-Reply-To"] == "<CAH-answer-1@mail.gmail.com>"
    assert third["References"].split() == [
        ack["Message-ID"],
        reply["Message-ID"],
        "<CAH-answer-1@mail.gmail.com>",
    ]


def test_ack_to_an_emailed_request_answers_the_representatives_mail(
    smtp_sink, rep, hub, rotation, clock, mail
):
    msg = EmailMessage()
    msg["From"] = rep.email
    msg["To"] = "support@example.org"
    msg["Subject"] = "Quota"
    msg["Message-ID"] = "<first-mail@example.org>"
    msg.set_content("How much disk do we get?")
    with mail.capture():
        received = receive_email(bytes(msg), source="test")
    (ack,) = _to_rep(smtp_sink, rep)
    assert ack["In-Reply-To"] == "<first-mail@example.org>"
    assert ack["Subject"].startswith(f"[{received.inbound.request.reference}] ")
    assert "Reply to this e-mail" in ack.get_content()


def test_a_retried_e_mail_keeps_its_message_id(smtp_sink, rep, hub, rotation, clock, settings):
    r = services.request_submit(requester=rep, hub=hub, subject="Kernel dies", description="x")
    ack = Notification.objects.get(request=r, kind="request_ack")
    good_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 9  # nobody listens: the first attempt fails and is recorded
    assert notification_services.deliver(notification_id=ack.pk) is False
    ack.refresh_from_db()
    assert ack.status == "pending" and ack.attempts == 1 and ack.last_error
    settings.EMAIL_PORT = good_port
    clock.shift(3600)
    assert notification_services.deliver(notification_id=ack.pk) is True
    (sent,) = smtp_sink.parsed()
    assert sent["Message-ID"] == ack.message_id == mailthread.message_id_for(ack.key)
    assert notification_services.deliver(notification_id=ack.pk) is False  # sent once
    assert len(smtp_sink.messages) == 1


def test_unmatched_sender_acknowledgement_has_no_request_headers(smtp_sink, db, mail):
    msg = EmailMessage()
    msg["From"] = "zoe@university.example.edu"
    msg["To"] = "support@example.org"
    msg["Subject"] = "A hub for our lab?"
    msg["Message-ID"] = "<zoe-1@university.example.edu>"
    msg.set_content("Hello")
    with mail.capture():
        receive_email(bytes(msg), source="test")
    (sent,) = smtp_sink.parsed()
    assert sent["To"] == "zoe@university.example.edu" and sent["Reply-To"] is None
    assert sent["Message-ID"].startswith("<sd.")
    assert InboundEmail.objects.get().status == "unmatched"
