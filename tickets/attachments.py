"""Attachments for every channel: the web form, replies on both sides, the API and e-mail.

Files go to Django's default storage (a folder under SUPPORTDESK_VAR_DIR unless configured
otherwise) under a random name. The type is sniffed from the bytes (filetype), never taken
from the name or the sender's claim, and the file is only ever served by the permission-checked
download view as a download. Limits: ATTACHMENT_MAX_FILE_BYTES per file and
ATTACHMENT_MAX_MESSAGE_BYTES per message (10 MB and 25 MB by default)."""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext

from supportdesk.errors import DomainError
from tickets.models import Attachment, Message, SupportRequest

FIELD = "attachments"


@dataclass(frozen=True)
class IncomingFile:
    filename: str
    data: bytes
    inline: bool = False


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def safe_filename(name: str) -> str:
    """The name to show and to offer on download: no path, no control characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"]", "", name).strip().strip(".")
    return name[:200] or "attachment"


def sniff(data: bytes) -> str:
    kind = filetype.guess(data[:8192])
    if kind is not None:
        return kind.mime
    try:
        data[:65536].decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


def incoming_from_uploads(uploads) -> list[IncomingFile]:
    """Django's uploaded files, read once (they are within the limits: see check_sizes)."""
    return [IncomingFile(filename=u.name, data=u.read()) for u in uploads or []]


def check_sizes(sizes: list[tuple[str, int]]) -> None:
    """Refuse files over the limits, with a message that names the file."""
    per_file = settings.ATTACHMENT_MAX_FILE_BYTES
    per_message = settings.ATTACHMENT_MAX_MESSAGE_BYTES
    for name, size in sizes:
        if size > per_file:
            raise DomainError(
                gettext("%(name)s is %(size)s; each file may be at most %(limit)s.")
                % {
                    "name": safe_filename(name),
                    "size": megabytes(size),
                    "limit": megabytes(per_file),
                },
                field=FIELD,
            )
    total = sum(size for _, size in sizes)
    if total > per_message:
        raise DomainError(
            gettext("The files add up to %(size)s; at most %(limit)s can be sent at once.")
            % {"size": megabytes(total), "limit": megabytes(per_message)},
            field=FIELD,
        )


def split_by_limits(files: list[IncomingFile]) -> tuple[list[IncomingFile], list[str]]:
    """For e-mail, which cannot be refused: the files within the limits, and a line for each
    one left out (the original message, kept whole, still has it)."""
    kept, refused, total = [], [], 0
    for f in files:
        size = len(f.data)
        name = safe_filename(f.filename)
        if size > settings.ATTACHMENT_MAX_FILE_BYTES:
            refused.append(f"{name} ({megabytes(size)}) is over the per-file limit")
        elif total + size > settings.ATTACHMENT_MAX_MESSAGE_BYTES:
            refused.append(f"{name} ({megabytes(size)}) is over the per-message limit")
        else:
            kept.append(f)
            total += size
    return kept, refused


def attachments_store(
    *,
    support_request: SupportRequest,
    files: list[IncomingFile],
    by,
    at: datetime.datetime,
    message: Message | None = None,
) -> list[Attachment]:
    """Store the files of a request (message=None) or of one of its messages. Call inside the
    service's transaction, after check_sizes."""
    check_sizes([(f.filename, len(f.data)) for f in files])
    stored = []
    for f in files:
        attachment = Attachment(
            request=support_request,
            message=message,
            filename=safe_filename(f.filename),
            content_type=sniff(f.data),
            size=len(f.data),
            inline=f.inline,
            uploaded_by=by if by is not None and by.is_authenticated else None,
            created_at=at,
        )
        attachment.file.save("upload", ContentFile(f.data), save=False)
        attachment.save(force_insert=True)
        stored.append(attachment)
    return stored
