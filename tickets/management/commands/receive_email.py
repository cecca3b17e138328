"""`manage.py receive_email`: one message on standard input, for a mail server's pipe.

Postfix (master.cf):  supportdesk unix - n n - - pipe
  flags=Rq user=supportdesk argv=/srv/supportdesk/.venv/bin/python /srv/supportdesk/manage.py
  receive_email

Exit codes are the ones an MTA understands (sysexits.h): 0 when the message is stored (whatever
became of it: a request, a reply, held, ignored, quarantined, or a duplicate of one seen before),
75 (EX_TEMPFAIL) when it could not be stored, e.g. the database is down: the MTA keeps the
message in its queue and tries again, and the Message-ID makes a retry harmless."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from tickets.inbound import receive_email

EX_OK = 0
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Receive one e-mail (RFC 5322) on standard input, as a mail server's pipe would."

    def add_arguments(self, parser):
        parser.add_argument(
            "--source", default="pipe", help="Recorded on the message (default: pipe)."
        )

    def handle(self, *args, source: str, **options):
        raw = sys.stdin.buffer.read()
        try:
            received = receive_email(raw, source=source)
        except Exception as exc:  # noqa: BLE001 - every failure to store is a temporary one
            self.stderr.write(f"supportdesk: not stored, try again later: {exc}")
            sys.exit(EX_TEMPFAIL)
        inbound = received.inbound
        what = inbound.get_status_display() if received.created else "already received"
        self.stdout.write(f"{inbound.message_id}: {what}")
        sys.exit(EX_OK)
