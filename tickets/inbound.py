"""Inbound e-mail: one service turns a raw RFC 5322 message into a request, a reply, or a row a
steward looks at. IMAP polling, `manage.py receive_email` (a mail server's pipe) and provider
webhooks all call `receive_email`.

Exactly once: the message is stored as an InboundEmail row, unique by Message-ID (a stable
synthetic id when it has none), in the same transaction as everything it causes. A message
seen again, because a poller died before it moved the message, or two pollers raced, or a
provider retried its webhook, finds its row and does nothing.

What it does, in order (the first that applies):
1. loops: auto-replies (Auto-Submitted other than "no", X-Autoreply), Precedence bulk/list/junk,
   mailing lists (List-Id), delivery reports (multipart/report, mailer-daemon) and our own
   mail are stored as ignored and never answered, so two auto-responders cannot loop;
2. floods: a sender over INBOUND_EMAIL_RATE_LIMIT_PER_HOUR is held for a steward;
3. threading: the signed reply address (support+SD-n.<mac>@), then In-Reply-To/References
   against the Message-IDs we stored, then an [SD-n] subject tag, which counts only when the
   sender represents that request's community. A reply to a resolved request reopens it; a
   reply to a closed one opens a new request linked to it;
4. a new request when the sender represents one community (or the hub the mail names settles
   which one); otherwise the mail is kept as unmatched, only stewards see it, and the sender is
   told once that a person will look at it.
A message the parser cannot handle is quarantined with the reason (admin shows it) and never
blocks the mailbox.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import hashlib
import logging
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from inscriptis import get_text
from mailparser_reply import EmailReplyParser

from accounts.models import Invitation, User
from accounts.roles import is_staff_member, may_invite
from accounts.services import invitation_create
from communities.models import Community, Hub, Membership
from notifications.models import Notification
from notifications.services import notify
from supportdesk import mailthread
from supportdesk.errors import DomainError, PermissionDenied
from tickets import attachments, services
from tickets.models import InboundEmail, SupportRequest

logger = logging.getLogger(__name__)

Status = InboundEmail.Status
RATE_WINDOW = datetime.timedelta(hours=1)
REPLY_PARSER_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "sv", "pl", "ja"]
_SUBJECT_PREFIX_RE = re.compile(
    r"^\s*((re|fwd?|aw|wg|sv|vs|tr|rif|antw|odp|r)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE
)
_BOUNCE_SENDERS = ("mailer-daemon@", "postmaster@")


@dataclass(frozen=True)
class Received:
    """What `receive_email` did: the stored row, and whether this call stored it (False: the
    message had been received before and nothing was done again)."""

    inbound: InboundEmail
    created: bool

    @property
    def status(self) -> str:
        return self.inbound.status


# --- parsing ---------------------------------------------------------------------------------


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def _header(msg: EmailMessage, name: str) -> str:
    """A header as text; a malformed one as its raw value rather than an exception."""
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 - a header the policy cannot parse is read raw
        value = msg.get_all(name, failobj=[None])[0] if hasattr(msg, "get_all") else None
    if value is None:
        return ""
    return str(value).replace("\r", " ").replace("\n", " ").strip()


def message_id_of(msg: EmailMessage | None, raw: bytes) -> str:
    """The message's Message-ID, or a synthetic one that is the same every time the same
    message is seen (by IMAP, a pipe or a webhook alike): a digest of who sent what when,
    not of the transport headers (Received, Delivered-To) that differ per route."""
    if msg is not None:
        ids = mailthread.message_ids_in(_header(msg, "Message-ID"))
        if ids and len(ids[0]) <= 255:
            return ids[0]
        if ids:  # absurdly long: keep it unique, make it fit
            return f"<long.{hashlib.sha256(ids[0].encode()).hexdigest()}@synthetic.invalid>"
    digest = hashlib.sha256()
    if msg is not None:
        for name in ("From", "To", "Cc", "Date", "Subject"):
            digest.update(f"{name}:{_header(msg, name)}\n".encode())
        _, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
        digest.update(body)
    else:
        digest.update(raw)
    return f"<synthetic.{digest.hexdigest()[:48]}@supportdesk.invalid>"


def _decode_part(part) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError, ValueError):
        # Unknown or lying charset: decode what is there rather than lose the message.
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    return content


def html_to_text(html: str) -> str:
    """HTML-only mail as plain text (inscriptis keeps lists and tables readable). The result is
    stored as the message's Markdown text, which is sanitised with nh3 when rendered."""
    return get_text(html or "")


def message_text(msg: EmailMessage) -> str:
    """The text of the message: text/plain preferred, HTML converted when it is all there is."""
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    content = _decode_part(body)
    if body.get_content_subtype() == "html":
        content = html_to_text(content)
    return content.replace("\r\n", "\n").strip()


def message_files(msg: EmailMessage) -> list[attachments.IncomingFile]:
    """Every file of the message, inline images included: each leaf part that is not the text
    we read (nor its other-format twin in a multipart/alternative)."""
    body = msg.get_body(preferencelist=("plain", "html"))
    files = []
    for index, part in enumerate(msg.walk()):
        if part.is_multipart() or part is body:
            continue
        disposition = (part.get_content_disposition() or "").lower()
        filename = part.get_filename()
        if part.get_content_maintype() == "text" and not filename and disposition != "attachment":
            continue  # an alternative rendering of the text, not a file
        if part.get_content_type() in (
            "message/delivery-status",
            "message/disposition-notification",
        ):
            continue
        data = part.get_payload(decode=True)
        if data is None:
            continue
        inline = disposition == "inline" or (not disposition and bool(part.get("Content-ID")))
        name = filename or f"{'inline' if inline else 'attachment'}-{index}"
        files.append(attachments.IncomingFile(filename=name, data=data, inline=inline))
    return files


def strip_reply(text: str) -> str:
    """The new part of a reply: quoted history and signature removed (mail-parser-reply, which
    knows the quoting styles of Gmail, Outlook, Apple Mail and Thunderbird in many languages)."""
    if not text.strip():
        return ""
    try:
        parsed = EmailReplyParser(languages=REPLY_PARSER_LANGUAGES).read(text=text)
        latest = parsed.replies[0].body if parsed.replies else ""
    except Exception:
        logger.warning("reply parser failed; keeping the whole text", exc_info=True)
        latest = text
    return (latest or text).strip()


def clean_subject(subject: str) -> str:
    subject = mailthread.TAG_RE.sub("", subject or "")
    subject = _SUBJECT_PREFIX_RE.sub("", subject)
    subject = mailthread.TAG_RE.sub("", subject)
    return " ".join(subject.split())[:200]


def loop_reason(msg: EmailMessage, sender: str) -> str:
    """Why the message must never be answered, or "" (RFC 3834 and common practice)."""
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"automatic message (Auto-Submitted: {auto[:60]})"
    if _header(msg, "X-Autoreply") or _header(msg, "X-Autorespond"):
        return "automatic reply (X-Autoreply)"
    precedence = _header(msg, "Precedence").lower()
    if precedence in {"bulk", "list", "junk", "auto_reply"}:
        return f"Precedence: {precedence}"
    if _header(msg, "List-Id"):
        return f"mailing-list message (List-Id: {_header(msg, 'List-Id')[:80]})"
    if msg.get_content_type() == "multipart/report":
        return "delivery or read report (multipart/report)"
    if sender.startswith(_BOUNCE_SENDERS) or (not sender and _header(msg, "Return-Path") == "<>"):
        return "bounce from a mail server"
    if mailthread.is_own_address(sender):
        return "sent from our own address"
    return ""


# --- who and where ---------------------------------------------------------------------------


def _users_with_address(address: str) -> list[User]:
    return list(User.objects.filter(email__iexact=address, is_active=True).order_by("pk"))


def _represented(users: list[User]) -> dict[int, tuple[User, Community]]:
    """{community id: (user, community)} that one of these users represents."""
    found: dict[int, tuple[User, Community]] = {}
    memberships = Membership.objects.filter(
        user__in=users, role=Membership.Role.REPRESENTATIVE, community__is_active=True
    ).select_related("community", "user")
    for membership in memberships:
        found.setdefault(membership.community_id, (membership.user, membership.community))
    return found


def _hubs_named(text: str, community_ids) -> list[Hub]:
    """The hubs of these communities that the mail names (slug, name or host of its URL)."""
    text = text.lower()
    named = []
    for hub in Hub.objects.filter(community_id__in=community_ids, is_active=True):
        host = hub.url.split("://", 1)[-1].split("/", 1)[0].lower()
        words = {hub.slug.lower(), hub.name.lower(), host} - {""}
        if any(re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text) for w in words):
            named.append(hub)
    return named


def _threaded_request(msg: EmailMessage, subject: str) -> tuple[SupportRequest | None, str]:
    """The request this mail answers, and how we know ("address", "references", "tag")."""
    recipients = mailthread.addresses_in(
        _header(msg, "To"),
        _header(msg, "Cc"),
        _header(msg, "Delivered-To"),
        _header(msg, "X-Original-To"),
        _header(msg, "Envelope-To"),
    )
    for address in recipients:
        pk = mailthread.request_pk_from_address(address)
        if pk is not None:
            found = SupportRequest.objects.filter(pk=pk).first()
            if found is not None:
                return found, "address"
    ids = mailthread.message_ids_in(f"{_header(msg, 'In-Reply-To')} {_header(msg, 'References')}")
    if ids:
        known = (
            InboundEmail.objects.filter(message_id__in=ids, request__isnull=False)
            .values_list("request_id", flat=True)
            .first()
        )
        if known is None:
            known = (
                Notification.objects.filter(message_id__in=ids, request__isnull=False)
                .values_list("request_id", flat=True)
                .first()
            )
        if known is not None:
            return SupportRequest.objects.get(pk=known), "references"
    pk = mailthread.tag_request_pk(subject)
    if pk is not None:
        found = SupportRequest.objects.filter(pk=pk).first()
        if found is not None:
            return found, "tag"
    return None, ""


def _may_write_to(users: list[User], support_request: SupportRequest) -> User | None:
    for user in users:
        if user.pk == support_request.requester_id:
            return user
    for user, community in _represented(users).values():
        if community.pk == support_request.community_id:
            return user
    return None


# --- the service -----------------------------------------------------------------------------


def receive_email(raw: bytes, *, source: str) -> Received:
    """Store and act on one raw message, exactly once per Message-ID. Raises only when the
    database is unavailable (the caller retries: IMAP leaves the message, the pipe exits 75)."""
    now = timezone.now()
    try:
        msg = parse(raw)
    except Exception:  # noqa: BLE001 - kept and quarantined below
        msg = None
    message_id = message_id_of(msg, raw)
    with transaction.atomic():
        inbound = InboundEmail(
            message_id=message_id,
            source=source[:40],
            raw=raw,
            received_at=now,
            status=Status.QUARANTINED,
            reason="being handled",
        )
        try:
            with transaction.atomic():
                inbound.save(force_insert=True)
        except IntegrityError:
            return Received(InboundEmail.objects.get(message_id=message_id), created=False)
        try:
            with transaction.atomic():
                _handle(inbound, msg, raw=raw, now=now)
        except Exception as exc:
            logger.exception("inbound e-mail %s quarantined", message_id)
            _quarantine(inbound, f"{type(exc).__name__}: {exc}")
    return Received(inbound, created=True)


def _quarantine(inbound: InboundEmail, reason: str) -> None:
    inbound.status = Status.QUARANTINED
    inbound.reason = reason[:500]
    inbound.request = None
    inbound.posted_message = None
    inbound.save()


def _finish(inbound: InboundEmail, status: str, reason: str = "", **fields) -> None:
    inbound.status = status
    inbound.reason = reason[:500]
    for name, value in fields.items():
        setattr(inbound, name, value)
    inbound.save()


def _handle(inbound: InboundEmail, msg: EmailMessage | None, *, raw: bytes, now) -> None:
    if msg is None:
        raise ValueError("the message could not be parsed at all")
    if not raw.strip():
        raise ValueError("the message is empty")
    if len(raw) > settings.INBOUND_EMAIL_MAX_BYTES:
        raise ValueError(
            f"the message is {len(raw)} bytes, over the {settings.INBOUND_EMAIL_MAX_BYTES} limit"
        )
    name, sender = parseaddr(_header(msg, "From"))
    sender = sender.strip().lower()
    inbound.from_address = sender[:254]
    inbound.from_name = name[:200]
    inbound.subject = _header(msg, "Subject")[:300]
    inbound.in_reply_to = _header(msg, "In-Reply-To")[:2000]
    inbound.references = _header(msg, "References")[:5000]
    if "@" not in sender:
        raise ValueError(f"no usable sender address in From: {_header(msg, 'From')[:100]!r}")
    reason = loop_reason(msg, sender)
    if reason:
        _finish(inbound, Status.IGNORED, reason)
        return
    inbound.text = message_text(msg)
    inbound.body = strip_reply(inbound.text)
    recent = InboundEmail.objects.filter(
        from_address=sender, received_at__gt=now - RATE_WINDOW
    ).exclude(pk=inbound.pk)
    limit = settings.INBOUND_EMAIL_RATE_LIMIT_PER_HOUR
    if recent.count() >= limit:
        _finish(inbound, Status.HELD, f"more than {limit} messages from {sender} in an hour")
        return
    _route(inbound, msg, now=now)


def _route(inbound: InboundEmail, msg: EmailMessage, *, now) -> None:
    """Thread it into a request, open a new one, or keep it for a steward."""
    sender = inbound.from_address
    users = [u for u in _users_with_address(sender) if not is_staff_member(u)]
    subject = inbound.subject
    files, refused = attachments.split_by_limits(message_files(msg))
    body = inbound.body
    if refused:
        body += "\n\n(Not attached: " + "; ".join(refused) + ". The original e-mail is kept.)"
    support_request, how = _threaded_request(msg, subject)
    if support_request is not None:
        writer = _may_write_to(users, support_request)
        if writer is None and how != "tag":
            _finish(
                inbound,
                Status.UNMATCHED,
                f"answers {support_request.reference}, but {sender} is neither its requester nor a "
                "representative of its community",
            )
            _acknowledge_unmatched(inbound)
            return
        if writer is not None:
            if support_request.status == SupportRequest.Status.CLOSED:
                follow_up = services.request_follow_up(
                    closed=support_request,
                    by=writer,
                    body=body.strip() or "(The e-mail had no text.)",
                    attachments=files,
                    channel=SupportRequest.Channel.EMAIL,
                    at=now,
                )
                _finish(
                    inbound,
                    Status.NEW_REQUEST,
                    f"reply to the closed {support_request.reference}: opened a follow-up",
                    request=follow_up,
                )
                return
            message = services.request_reply_from_email(
                support_request=support_request, by=writer, body=body, received_at=now
            )
            attachments.attachments_store(
                support_request=support_request, message=message, files=files, by=writer, at=now
            )
            _finish(
                inbound,
                Status.REPLY,
                f"threaded by {how}",
                request=support_request,
                posted_message=message,
            )
            return
        # An [SD-n] tag from someone who does not represent that community proves nothing:
        # the mail is treated as new.
    represented = _represented(users)
    if len(represented) > 1:
        named = _hubs_named(f"{subject}\n{inbound.text}", represented)
        communities = {hub.community_id for hub in named}
        if len(communities) == 1:
            (community_id,) = communities
            represented = {community_id: represented[community_id]}
    if len(represented) == 1:
        ((user, community),) = represented.values()
        named = _hubs_named(f"{subject}\n{inbound.text}", [community.pk])
        r = services.request_open_from_email(
            community=community,
            requester=user,
            hub=named[0] if len(named) == 1 else None,
            subject=clean_subject(subject),
            description=body,
            received_at=now,
        )
        attachments.attachments_store(support_request=r, files=files, by=user, at=now)
        _finish(inbound, Status.NEW_REQUEST, request=r)
        return
    if represented:
        names = ", ".join(sorted(c.name for _, c in represented.values()))
        reason = f"{sender} represents several communities ({names}): a steward picks one"
    else:
        reason = f"{sender} is not a representative of any community"
    _finish(inbound, Status.UNMATCHED, reason)
    _acknowledge_unmatched(inbound)


def _acknowledge_unmatched(inbound: InboundEmail) -> None:
    """Tell an unknown sender, once, that a person will look at their mail."""
    subject = inbound.subject or "your e-mail"
    notify(
        key=f"inbound:{inbound.pk}:ack",
        kind="inbound_unmatched_ack",
        email=inbound.from_address,
        subject=f"Re: {subject}"[:255],
        body=(
            "Hello,\n\nThank you for your e-mail to the support team. We could not match your "
            "address to a community we support, so a person will look at your message and get "
            "back to you.\n\nThe support team"
        ),
    )


# --- what stewards do with mail that waits for them ------------------------------------------


def _require_steward(by) -> None:
    if not is_staff_member(by):
        raise PermissionDenied(gettext("Only the support team can handle incoming mail."))


def _contact_user(address: str, name: str) -> User:
    """The person behind an unknown address, as a user who cannot sign in (no password, no
    community). Inviting them to become a representative is a separate step (accounts)."""
    existing = [u for u in _users_with_address(address) if not is_staff_member(u)]
    if existing:
        return existing[0]
    first, _, last = (name or "").partition(" ")
    base = address[:150]
    username = base
    suffix = 1
    while User.objects.filter(username=username).exists():
        suffix += 1
        username = f"{base[:140]}-{suffix}"
    user = User(username=username, email=address, first_name=first[:150], last_name=last[:150])
    user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def inbound_email_attach(
    *,
    inbound: InboundEmail,
    community: Community,
    by,
    hub: Hub | None = None,
    invite: bool = False,
) -> SupportRequest:
    """A steward files an unmatched mail as a request of `community`. The sender was
    acknowledged when the mail arrived, so nothing more is sent now; the steward's first reply
    carries the request's reference and reply address. With `invite`, the sender is also
    invited (accounts' invitation service, its rules and its e-mail) to become a representative
    of `community`; both happen or neither does."""
    _require_steward(by)
    if invite and not may_invite(by, role=Invitation.Role.REPRESENTATIVE, community=community):
        raise PermissionDenied(
            gettext("You may not invite representatives of %(community)s.")
            % {"community": community}
        )
    locked = InboundEmail.objects.select_for_update().get(pk=inbound.pk)
    if locked.status != Status.UNMATCHED:
        raise DomainError(
            gettext("This mail is %(status)s, not unmatched.")
            % {"status": locked.get_status_display().lower()}
        )
    if hub is not None and hub.community_id != community.pk:
        raise DomainError(
            gettext("%(hub)s is not one of %(community)s's hubs.")
            % {"hub": hub, "community": community},
            field="hub",
        )
    requester = _contact_user(locked.from_address, locked.from_name)
    r = services.request_open_from_email(
        community=community,
        requester=requester,
        hub=hub,
        subject=clean_subject(locked.subject),
        description=locked.body or locked.text,
        received_at=locked.received_at,
        acknowledge=False,
    )
    files, _ = attachments.split_by_limits(message_files(parse(bytes(locked.raw))))
    attachments.attachments_store(
        support_request=r, files=files, by=requester, at=locked.received_at
    )
    if invite:
        invitation_create(
            by=by,
            email=locked.from_address,
            role=Invitation.Role.REPRESENTATIVE,
            community=community,
        )
    _finish(
        locked,
        Status.NEW_REQUEST,
        f"attached to {community} by {by}" + (", sender invited" if invite else ""),
        request=r,
        handled_at=timezone.now(),
        handled_by=by,
    )
    return r


@transaction.atomic
def inbound_email_release(*, inbound: InboundEmail, by) -> InboundEmail:
    """A steward lets a held mail through: it is handled as if it had just arrived, without
    the rate limit."""
    _require_steward(by)
    locked = InboundEmail.objects.select_for_update().get(pk=inbound.pk)
    if locked.status != Status.HELD:
        raise DomainError(
            gettext("This mail is %(status)s, not held.")
            % {"status": locked.get_status_display().lower()}
        )
    locked.handled_at = timezone.now()
    locked.handled_by = by
    _route(locked, parse(bytes(locked.raw)), now=timezone.now())
    return locked


def inbound_needing_steward() -> Q:
    return Q(status__in=InboundEmail.NEEDS_STEWARD)
