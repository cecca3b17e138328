"""The corpus of real-shaped messages in tests/fixtures/mail/, filled in for one request.

Replies in the corpus name the request through placeholders ({{TAG}}, {{REPLY_ADDRESS}},
{{OUR_MESSAGE_ID}}), because the request's id and our Message-ID differ per test run. The 5 MB
attachment is generated, not stored in git."""

from __future__ import annotations

import base64
import random
from pathlib import Path

from notifications.models import Notification
from supportdesk import mailthread

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "mail"
FIVE_MB = 5 * 1024 * 1024


def five_mb_gzip() -> bytes:
    rng = random.Random(16)
    return b"\x1f\x8b\x08\x00" + rng.randbytes(FIVE_MB - 4)


def corpus_names() -> list[str]:
    return sorted(p.name for p in CORPUS.glob("*.eml"))


def our_message_id(support_request) -> str:
    """The Message-ID of the last e-mail we sent about the request."""
    return (
        Notification.objects.filter(request=support_request, channel="email")
        .exclude(message_id="")
        .order_by("-pk")
        .values_list("message_id", flat=True)
        .first()
    )


def load(name: str, support_request=None) -> bytes:
    text = (CORPUS / name).read_text()
    if support_request is not None:
        text = (
            text.replace("{{TAG}}", f"[{support_request.reference}]")
            .replace("{{REPLY_ADDRESS}}", mailthread.request_reply_address(support_request.pk))
            .replace(
                "{{FORGED_ADDRESS}}", f"support+SD-{support_request.pk}.000000000000@example.org"
            )
            .replace("{{OUR_MESSAGE_ID}}", our_message_id(support_request) or "<none@example.org>")
        )
    if "{{5MB_GZIP_BASE64}}" in text:
        text = text.replace("{{5MB_GZIP_BASE64}}", base64.encodebytes(five_mb_gzip()).decode())
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
