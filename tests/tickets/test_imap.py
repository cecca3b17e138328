"""IMAP polling against a real Dovecot server started for each test: messages are stored,
then moved to the processed folder only after the commit; two pollers at once file each
message once; a worker killed between the store and the move leaves exactly one request."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection

from tickets import imap
from tickets.imap import MailboxConfig, inbound_imap_poll
from tickets.models import InboundEmail, SupportRequest

from .mailcorpus import load

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _support_address(settings):
    settings.INBOUND_EMAIL_ADDRESS = "support@example.org"
    settings.DEFAULT_FROM_EMAIL = "supportdesk <support@example.org>"


def test_mailbox_url_defaults_to_tls_and_decodes_the_user():
    config = MailboxConfig.from_url("imaps://support%40example.org:p%40ss@mail.example.org/INBOX")
    assert (config.host, config.port, config.tls) == ("mail.example.org", 993, True)
    assert (config.username, config.password) == ("support@example.org", "p@ss")
    assert (config.folder, config.processed_folder) == ("INBOX", "Processed")
    other = MailboxConfig.from_url("imap://u:p@127.0.0.1:1143/Support?processed=Done")
    assert (other.port, other.tls, other.folder, other.processed_folder) == (
        1143,
        False,
        "Support",
        "Done",
    )
    with pytest.raises(ValueError, match="imaps://"):
        MailboxConfig.from_url("pop3://u:p@host/")


def test_the_task_does_nothing_without_a_mailbox(settings, db):
    from tickets.tasks import inbound_imap_poll as task

    settings.INBOUND_IMAP_URL = ""
    assert task.apply().get() == 0


def test_poll_files_each_message_then_moves_it(dovecot, rep, rotation, clock, mail):
    for name in ("gmail-new-request.eml", "unknown-sender.eml", "auto-reply.eml"):
        dovecot.append(load(name))
    with mail.capture():
        result = inbound_imap_poll(url=dovecot.url)
    assert (result.stored, result.seen_before, result.moved, result.errors) == (3, 0, 3, [])
    assert dovecot.count("INBOX") == 0 and dovecot.count("Processed") == 3
    assert sorted(InboundEmail.objects.values_list("status", flat=True)) == [
        "ignored",
        "new_request",
        "unmatched",
    ]
    assert SupportRequest.objects.get().subject == "Kernel dies when importing xarray"
    assert inbound_imap_poll(url=dovecot.url).stored == 0  # nothing left


def test_a_message_that_cannot_be_stored_stays_in_the_inbox(dovecot, rep, rotation, monkeypatch):
    dovecot.append(load("gmail-new-request.eml"))

    def database_down(raw, *, source):
        raise ConnectionError("database unavailable")

    monkeypatch.setattr(imap, "receive_email", database_down)
    result = inbound_imap_poll(url=dovecot.url)
    assert result.moved == 0 and "database unavailable" in result.errors[0]
    assert dovecot.count("INBOX") == 1
    monkeypatch.undo()
    assert inbound_imap_poll(url=dovecot.url).moved == 1


def _two_pollers(url):
    barrier = threading.Barrier(2)
    results, errors = [], []

    def poller():
        try:
            barrier.wait()
            results.append(inbound_imap_poll(url=url))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=poller) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    return results


NAMES = ["gmail-new-request.eml", "html-only.eml", "iso-8859-1.eml", "base64-body.eml"]


@pytest.mark.django_db(transaction=True)
def test_two_pollers_at_once_file_every_message_once(postgres, dovecot, rep, rotation):
    for name in NAMES:
        dovecot.append(load(name))
    results = _two_pollers(dovecot.url)
    assert sum(r.stored for r in results) == len(NAMES)
    assert SupportRequest.objects.count() == len(NAMES)
    assert InboundEmail.objects.count() == len(NAMES)
    assert dovecot.count("INBOX") == 0 and dovecot.count("Processed") == len(NAMES)


@pytest.mark.django_db(transaction=True)
def test_without_the_poller_lock_the_message_id_still_files_each_message_once(
    postgres, dovecot, rep, rotation, monkeypatch
):
    """The lock lives in the cache and may be lost (expired, cache down): both pollers then
    read the same messages, and the unique Message-ID row is what keeps them from acting twice."""
    monkeypatch.setattr(imap, "_take_lock", lambda name: True)
    for name in NAMES:
        dovecot.append(load(name))
    results = _two_pollers(dovecot.url)
    assert sum(r.stored for r in results) == len(NAMES)
    assert sum(r.stored + r.seen_before for r in results) >= len(NAMES)
    assert SupportRequest.objects.count() == len(NAMES)
    assert InboundEmail.objects.count() == len(NAMES)
    assert dovecot.count("INBOX") == 0


KILL_BETWEEN_STORE_AND_MOVE = """
import os, signal, django
django.setup()
from tickets.imap import inbound_imap_poll
def die(uid):
    os.kill(os.getpid(), signal.SIGKILL)
inbound_imap_poll(url=os.environ["IMAP_URL"], after_store=die)
"""


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_between_store_and_move_leaves_exactly_one_request(
    postgres, dovecot, rep, rotation, tmp_path
):
    dovecot.append(load("gmail-new-request.eml"))
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings",
        "DEBUG": "1",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "INBOUND_EMAIL_ADDRESS": "support@example.org",
        "IMAP_URL": dovecot.url,
        # A cache of its own: a shared Redis may still hold reference data (today's stewards)
        # cached by another test whose rows were rolled back.
        "SUPPORTDESK_VAR_DIR": str(tmp_path),
    }
    env.pop("REDIS_URL", None)
    env.pop("BROKER_URL", None)
    killed = subprocess.run(
        [sys.executable, "-c", KILL_BETWEEN_STORE_AND_MOVE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    # The store committed, the move never happened.
    assert SupportRequest.objects.count() == 1 and dovecot.count("INBOX") == 1

    restarted = inbound_imap_poll(url=dovecot.url)
    assert (restarted.stored, restarted.seen_before, restarted.moved) == (0, 1, 1)
    assert SupportRequest.objects.count() == 1 and InboundEmail.objects.count() == 1
    assert dovecot.count("INBOX") == 0 and dovecot.count("Processed") == 1
