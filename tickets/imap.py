"""IMAP polling of the support mailbox (beat, every minute): each message goes through
tickets.inbound.receive_email, and only once that transaction has committed is the message
moved to the processed folder. So a worker killed in between leaves the message in the inbox,
and the next poll finds its stored row (unique Message-ID) and just moves it: one request.
Two pollers at once may fetch the same message; the second finds the row and does nothing
again, and a move of a message the other poller already moved is a harmless no-op.

INBOUND_IMAP_URL: imaps://user:password@mail.example.org/INBOX (TLS, the default port 993);
imap://… is plain IMAP, for a server on this machine or in tests only; user and password are
URL-encoded (user%40example.org). `?processed=Folder` names the processed folder (default
"Processed", created when missing)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import ssl
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.core.cache import cache
from imapclient import IMAPClient

from tickets.inbound import receive_email

logger = logging.getLogger(__name__)

DEFAULT_PROCESSED_FOLDER = "Processed"
# Longer than a poll can take (the task's soft limit is 240 s); a dead poller's lock expires.
POLL_LOCK_SECONDS = 280
FETCH_BATCH = 25


@dataclass(frozen=True)
class MailboxConfig:
    host: str
    port: int
    tls: bool
    username: str
    password: str
    folder: str
    processed_folder: str

    @classmethod
    def from_url(cls, url: str) -> MailboxConfig:
        parts = urlsplit(url)
        if parts.scheme not in ("imaps", "imap"):
            raise ValueError("INBOUND_IMAP_URL must start with imaps:// (or imap:// locally)")
        tls = parts.scheme == "imaps"
        query = parse_qs(parts.query)
        return cls(
            host=parts.hostname or "",
            port=parts.port or (993 if tls else 143),
            tls=tls,
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
            processed_folder=query.get("processed", [DEFAULT_PROCESSED_FOLDER])[0],
        )


@dataclass
class PollResult:
    stored: int = 0  # new InboundEmail rows
    seen_before: int = 0  # already stored (a crash before the move, or another poller)
    moved: int = 0
    errors: list[str] = field(default_factory=list)
    skipped: bool = False  # another poller was at work on this mailbox


def _connect(config: MailboxConfig) -> IMAPClient:
    context = ssl.create_default_context() if config.tls else None
    client = IMAPClient(
        config.host, port=config.port, ssl=config.tls, ssl_context=context, timeout=30
    )
    client.login(config.username, config.password)
    return client


def _acknowledge(client: IMAPClient, uid: int, config: MailboxConfig) -> bool:
    """Move the message out of the inbox (MOVE, or COPY + \\Deleted + EXPUNGE). False when
    it is gone already (another poller moved it)."""
    try:
        if client.has_capability("MOVE"):
            client.move([uid], config.processed_folder)
        else:
            client.copy([uid], config.processed_folder)
            client.add_flags([uid], [b"\\Deleted"])
            if client.has_capability("UIDPLUS"):
                client.uid_expunge([uid])
            else:
                client.expunge()
    except IMAPClient.Error as exc:
        logger.info("message %s not moved (gone already?): %s", uid, exc)
        return False
    return True


def inbound_imap_poll(*, url: str = "", limit: int = 500, after_store=None) -> PollResult:
    """Read up to `limit` messages from the mailbox, store and act on each, then move it.
    `after_store(uid)` is called between the commit and the move (tests kill the worker
    there). Stops at the first message that cannot be stored (the database is down): it stays
    in the inbox for the next poll. While one poller works on a mailbox, another returns at
    once: not needed for correctness (the Message-ID is), but two sessions moving the same
    message would leave two copies of it in the processed folder."""
    url = url or settings.INBOUND_IMAP_URL
    result = PollResult()
    if not url:
        return result
    lock = f"tickets.imap.poll:{hashlib.sha256(url.encode()).hexdigest()[:16]}"
    if not _take_lock(lock):
        result.skipped = True
        return result
    try:
        return _poll(MailboxConfig.from_url(url), limit=limit, after_store=after_store)
    finally:
        _release_lock(lock)


def _take_lock(name: str) -> bool:
    try:
        return cache.add(name, 1, timeout=POLL_LOCK_SECONDS)
    except Exception:  # the cache being down must not stop the mail; the Message-ID guards
        logger.warning("cache unavailable: polling without the poller lock", exc_info=True)
        return True


def _release_lock(name: str) -> None:
    try:
        cache.delete(name)
    except Exception:  # expires by itself
        logger.warning("cache unavailable: the poller lock expires by itself", exc_info=True)


def _poll(config: MailboxConfig, *, limit: int, after_store) -> PollResult:
    result = PollResult()
    client = _connect(config)
    try:
        if not client.folder_exists(config.processed_folder):
            # Another poller may create it meanwhile.
            with contextlib.suppress(IMAPClient.Error):
                client.create_folder(config.processed_folder)
        client.select_folder(config.folder)
        uids = sorted(client.search(["NOT", "DELETED"]))[:limit]
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start : start + FETCH_BATCH]
            fetched = client.fetch(batch, ["BODY.PEEK[]"])
            for uid in batch:
                data = fetched.get(uid)
                if data is None:  # moved by another poller between SEARCH and FETCH
                    continue
                raw = data[b"BODY[]"]
                try:
                    received = receive_email(raw, source="imap")
                except Exception as exc:  # left in the inbox, retried next poll
                    logger.exception("could not store IMAP message %s; it stays in the inbox", uid)
                    result.errors.append(f"{uid}: {type(exc).__name__}: {exc}")
                    return result
                if received.created:
                    result.stored += 1
                else:
                    result.seen_before += 1
                if after_store is not None:
                    after_store(uid)
                if _acknowledge(client, uid, config):
                    result.moved += 1
    finally:
        try:
            client.logout()
        except Exception:  # the connection may be gone; nothing to keep
            logger.debug("IMAP logout failed", exc_info=True)
    return result
