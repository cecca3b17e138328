"""Inbound e-mail beyond the corpus: exactly once per Message-ID (twice in a row, two pollers
at once), the per-sender rate limit and its release, unknown senders filed by a steward,
senders of several communities, signed reply addresses, quarantine, and the pipe command."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from supportdesk import mailthread
from supportdesk.errors import DomainError, PermissionDenied
from tests.factories import MembershipFactory, UserFactory
from tickets import inbound
from tickets.inbound import receive_email
from tickets.models import InboundEmail, SupportRequest

from .mailcorpus import load

Status = InboundEmail.Status
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _support_address(settings):
    settings.INBOUND_EMAIL_ADDRESS = "support@example.org"
    settings.DEFAULT_FROM_EMAIL = "supportdesk <support@example.org>"


def mail_from(sender: str, *, subject="Hub is slow", body="Spawning takes minutes.", n=0) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@example.org"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<m{n}.{abs(hash((sender, subject)))}@example.net>"
    msg.set_content(body)
    return bytes(msg)


# --- addresses -------------------------------------------------------------------------------


def test_signed_reply_address_round_trips_and_refuses_a_forged_mac(settings):
    address = mailthread.request_reply_address(42)
    assert address.startswith("support+SD-42.") and address.endswith("@example.org")
    assert mailthread.request_pk_from_address(address) == 42
    assert mailthread.request_pk_from_address(address.upper()) == 42  # case-folded by a server
    forged = address.replace("+SD-42.", "+SD-43.")
    assert mailthread.request_pk_from_address(forged) is None
    assert mailthread.request_pk_from_address(address.replace("example.org", "evil.org")) is None
    settings.SECRET_KEY = "another-key-another-installation-0123456789"
    assert mailthread.request_pk_from_address(address) is None


def test_own_address_includes_every_plus_detail():
    assert mailthread.is_own_address("Support@Example.org")
    assert mailthread.is_own_address(mailthread.request_reply_address(7))
    assert not mailthread.is_own_address("supporter@example.org")


# --- exactly once ----------------------------------------------------------------------------


def test_the_same_message_twice_makes_one_request(rep, rotation, clock, mail):
    raw = mail_from(rep.email)
    with mail.capture():
        first = receive_email(raw, source="imap")
    with mail.capture():
        second = receive_email(raw, source="pipe")
    assert first.created and not second.created
    assert second.inbound.pk == first.inbound.pk
    assert SupportRequest.objects.count() == 1 and InboundEmail.objects.count() == 1
    assert len([m for m in mail.outbox if "We received your request" in m.subject]) == 1


@pytest.mark.django_db(transaction=True)
def test_two_pollers_at_once_store_and_act_once(postgres, rep, rotation):
    raw = mail_from(rep.email, n=99)
    results, errors = [], []
    barrier = threading.Barrier(2)

    def poll():
        try:
            barrier.wait()
            results.append(receive_email(raw, source="imap").created)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(results) == [False, True]
    assert SupportRequest.objects.count() == 1


# --- rate limit ------------------------------------------------------------------------------


def test_a_sender_over_the_hourly_limit_is_held_then_released_by_a_steward(
    settings, rep, steward, clock, mail
):
    settings.INBOUND_EMAIL_RATE_LIMIT_PER_HOUR = 3
    statuses = [
        receive_email(mail_from(rep.email, subject=f"Flood {i}", n=i), source="imap").status
        for i in range(5)
    ]
    assert statuses == [Status.NEW_REQUEST] * 3 + [Status.HELD] * 2
    held = InboundEmail.objects.filter(status=Status.HELD).first()
    assert "more than 3 messages" in held.reason
    with pytest.raises(PermissionDenied):
        inbound.inbound_email_release(inbound=held, by=rep)
    released = inbound.inbound_email_release(inbound=held, by=steward)
    assert released.status == Status.NEW_REQUEST and released.handled_by == steward
    clock.shift(3600 + 1)  # an hour later the sender is welcome again
    later = receive_email(mail_from(rep.email, subject="Later", n=9), source="imap")
    assert later.status == Status.NEW_REQUEST


# --- unknown senders -------------------------------------------------------------------------


def test_unknown_sender_is_unmatched_acknowledged_once_and_filed_by_a_steward(
    community, other_rep, steward, rotation, clock, mail, client
):
    raw = load("unknown-sender.eml")
    with mail.capture():
        received = receive_email(raw, source="imap")
        receive_email(raw, source="imap")  # delivered twice: still one acknowledgement
    row = received.inbound
    assert row.status == Status.UNMATCHED and SupportRequest.objects.count() == 0
    assert [m.to for m in mail.outbox] == [["zoe@university.example.edu"]]

    # Only the team sees it.
    client.force_login(other_rep)
    assert client.get(reverse("tickets:incoming_mail")).status_code == 403
    assert client.get(reverse("tickets:incoming_mail_original", args=[row.pk])).status_code == 403
    client.force_login(steward)
    page = client.get(reverse("tickets:incoming_mail"))
    assert "Can our lab get a hub?" in page.text and "not a representative" in page.text
    original = client.get(reverse("tickets:incoming_mail_original", args=[row.pk]))
    assert original["Content-Type"].startswith("text/plain")
    assert original["X-Content-Type-Options"] == "nosniff"

    with mail.capture():
        response = client.post(
            reverse("tickets:incoming_mail_attach", args=[row.pk]), {"community": community.pk}
        )
    r = SupportRequest.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{r.pk}/")
    assert r.community == community and r.channel == "email"
    assert r.subject == "Can our lab get a hub?" and "small lab" in r.description
    assert r.requester.email == "zoe@university.example.edu"
    assert not r.requester.has_usable_password() and not r.requester.is_staff
    row.refresh_from_db()
    assert row.status == Status.NEW_REQUEST and row.request == r and row.handled_by == steward
    # The sender was acknowledged once, when the mail arrived; filing it sent nothing more.
    assert [m.to for m in mail.outbox] == [["zoe@university.example.edu"]]
    with pytest.raises(DomainError):
        inbound.inbound_email_attach(inbound=row, community=community, by=steward)

    # Zoe's next mail to the request's reply address lands in it.
    follow = mail_from("Zoe <zoe@university.example.edu>", body="Thirty students.", n=5)
    follow = follow.replace(
        b"To: support@example.org",
        f"To: {mailthread.request_reply_address(r.pk)}".encode(),
    )
    assert receive_email(follow, source="imap").inbound.request == r
    assert r.messages.get().body == "Thirty students."


def test_a_steward_attaches_and_invites_the_unknown_sender_in_one_step(
    community, other_community, steward, rep, rotation, clock, mail, client
):
    from accounts.models import Invitation
    from communities.models import Membership
    from tests.accounts.test_invitations import PASSWORD, sent_link

    with mail.capture():
        row = receive_email(load("unknown-sender.eml"), source="imap").inbound
    client.force_login(steward)
    page = client.get(reverse("tickets:incoming_mail"))
    assert "Attach and invite zoe@university.example.edu as its representative" in page.text
    with mail.capture():
        response = client.post(
            reverse("tickets:incoming_mail_attach", args=[row.pk]),
            {"community": community.pk, "invite": "1"},
            follow=True,
        )
    r = SupportRequest.objects.get()
    assert response.redirect_chain[-1][0] == reverse("tickets:desk_request", args=[r.pk])
    assert "zoe@university.example.edu is invited to be a representative" in response.text
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.community) == (
        "zoe@university.example.edu",
        "representative",
        community,
    )
    assert invitation.invited_by == steward
    row.refresh_from_db()
    assert row.status == Status.NEW_REQUEST and "sender invited" in row.reason

    # Zoe accepts: the account made for her mail becomes hers, with her request.
    client.logout()
    path = sent_link("zoe@university.example.edu")
    accepted = client.post(
        path,
        {
            "username": "zoe",
            "first_name": "Zoe",
            "last_name": "Lab",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert accepted.status_code == 302
    r.refresh_from_db()
    zoe = r.requester
    assert zoe.username == "zoe" and zoe.check_password(PASSWORD)
    assert Membership.objects.get(user=zoe).community == community
    assert client.get(reverse("tickets:detail", args=[r.pk])).status_code == 200
    # From now on her mail is a representative's: it opens a request by itself.
    later = receive_email(
        mail_from("Zoe <zoe@university.example.edu>", subject="GPU quota", n=9), source="imap"
    )
    assert later.status == Status.NEW_REQUEST and later.inbound.request.community == community


def test_attach_and_invite_is_for_stewards_and_all_or_nothing(
    community, steward, rep, rotation, clock, mail, client
):
    from accounts.models import Invitation
    from accounts.services import invitation_create

    with mail.capture():
        row = receive_email(load("unknown-sender.eml"), source="imap").inbound
    # A representative never reaches the page or the action.
    client.force_login(rep)
    url = reverse("tickets:incoming_mail_attach", args=[row.pk])
    assert client.post(url, {"community": community.pk, "invite": "1"}).status_code == 403
    with pytest.raises(PermissionDenied):
        inbound.inbound_email_attach(inbound=row, community=community, by=rep, invite=True)
    # An invitation already pending for the address: nothing is filed, the steward is told.
    invitation_create(
        by=steward, email="zoe@university.example.edu", role="representative", community=community
    )
    client.force_login(steward)
    response = client.post(url, {"community": community.pk, "invite": "1"}, follow=True)
    assert "already has a pending invitation" in response.text
    row.refresh_from_db()
    assert row.status == Status.UNMATCHED and not SupportRequest.objects.exists()
    assert Invitation.objects.count() == 1
    # An inactive community cannot get representatives by invitation.
    community.is_active = False
    community.save()
    with pytest.raises(DomainError):
        inbound.inbound_email_attach(inbound=row, community=community, by=steward, invite=True)


def test_sender_representing_several_communities_waits_unless_the_hub_settles_it(
    community, other_community, hub, other_hub, rotation, clock, mail
):
    for username, c in (("twin1", community), ("twin2", other_community)):
        MembershipFactory(
            user=UserFactory(username=username, email="twin@example.org"), community=c
        )
    first = receive_email(mail_from("twin@example.org", subject="Quota", n=1), source="imap")
    assert first.status == Status.UNMATCHED
    assert "represents several communities (Alpha Research, Beta Teaching)" in first.inbound.reason
    named = receive_email(
        mail_from("twin@example.org", subject="beta-hub is down", n=2), source="imap"
    )
    assert named.status == Status.NEW_REQUEST
    assert named.inbound.request.community == other_community
    assert named.inbound.request.hub == other_hub


# --- quarantine ------------------------------------------------------------------------------


def test_a_message_over_the_size_limit_is_quarantined_and_the_next_one_goes_through(
    settings, rep, rotation, clock
):
    settings.INBOUND_EMAIL_MAX_BYTES = 2000
    big = receive_email(mail_from(rep.email, body="x" * 5000, n=1), source="imap")
    assert big.status == Status.QUARANTINED and "over the 2000 limit" in big.inbound.reason
    small = receive_email(mail_from(rep.email, body="short", n=2), source="imap")
    assert small.status == Status.NEW_REQUEST


def test_a_failure_while_filing_quarantines_with_the_reason_and_undoes_partial_work(
    rep, rotation, clock, monkeypatch
):
    def broken(**kwargs):
        SupportRequest.objects.filter(pk=-1).exists()
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(inbound.services, "request_open_from_email", broken)
    received = receive_email(mail_from(rep.email), source="imap")
    assert received.status == Status.QUARANTINED
    assert received.inbound.reason == "RuntimeError: disk on fire"
    assert InboundEmail.objects.get().status == Status.QUARANTINED


def test_garbage_bytes_are_quarantined_not_raised(db):
    received = receive_email(b"\x00\xff not an e-mail at all", source="pipe")
    assert received.status == Status.QUARANTINED
    assert received.inbound.message_id.startswith("<synthetic.")


# --- the pipe command ------------------------------------------------------------------------


def test_receive_email_command_exits_0_when_stored(rep, rotation, clock, monkeypatch, capsys):
    stdin = io.TextIOWrapper(io.BytesIO(mail_from(rep.email)))
    monkeypatch.setattr(sys, "stdin", stdin)
    with pytest.raises(SystemExit) as exit_info:
        call_command("receive_email")
    assert exit_info.value.code == 0
    assert SupportRequest.objects.filter(channel="email").count() == 1
    assert "Opened a request" in capsys.readouterr().out


def test_receive_email_command_exits_75_when_the_database_is_down(tmp_path):
    """A real process, as Postfix would run it, against a database that does not answer: the
    MTA must keep the message and retry (EX_TEMPFAIL)."""
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:9/nowhere",
        "CONN_MAX_AGE": "0",
        "SUPPORTDESK_VAR_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "receive_email"],
        input=mail_from("ada@example.org"),
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 75, done.stderr.decode()
    assert b"try again later" in done.stderr


def test_the_closing_notice_says_a_reply_opens_a_linked_request(resolved, clock, mail):
    clock.move_to(resolved.auto_close_due_at)
    mail.outbox.clear()
    with mail.capture():
        from tickets import services

        services.request_auto_close(support_request=resolved)
    (notice,) = [m for m in mail.outbox if m.subject.startswith(f"[{resolved.reference}] Closed")]
    assert "your reply opens a new request linked to this one" in notice.body
    assert "reply to this request" not in notice.body
