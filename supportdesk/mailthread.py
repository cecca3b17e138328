"""E-mail threading: the support address, the signed per-request reply address, stable
Message-IDs and the [SD-n] subject tag. Pure functions over settings, shared by outgoing mail
(notifications) and inbound mail (tickets.inbound).

The reply address `support+SD-123.<mac>@domain` carries an HMAC of the request id keyed by
SECRET_KEY: a reply to it is threaded into request 123 whatever its subject says, and nobody
can forge the address of a request they never received mail about. The MAC is lowercase hex,
because mail systems may change the case of a local part."""

from __future__ import annotations

import functools
import hashlib
import re
from email.utils import getaddresses, parseaddr

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

MAC_LENGTH = 12
_SALT = "supportdesk.mailthread.reply-address"
TAG_RE = re.compile(r"\[SD-(\d{1,12})\]", re.IGNORECASE)
MESSAGE_ID_RE = re.compile(r"<([^<>\s]+)>")


def support_address() -> str:
    """The published support address (bare, lowercase), e.g. support@example.org."""
    configured = settings.INBOUND_EMAIL_ADDRESS or _bare(settings.DEFAULT_FROM_EMAIL)
    return configured.strip().lower()


@functools.lru_cache(maxsize=16)
def _bare(address: str) -> str:
    # Every e-mail notification asks (its Message-ID): a sweep claims a thousand at once.
    return parseaddr(address)[1]


def _split(address: str) -> tuple[str, str]:
    local, _, domain = address.rpartition("@")
    return local, domain.lower()


def _mac(request_pk: int) -> str:
    return salted_hmac(_SALT, str(int(request_pk)), algorithm="sha256").hexdigest()[:MAC_LENGTH]


def request_reply_address(request_pk: int) -> str:
    """The signed per-request address that goes in Reply-To."""
    local, domain = _split(support_address())
    return f"{local}+SD-{int(request_pk)}.{_mac(request_pk)}@{domain}"


_REPLY_LOCAL_RE = re.compile(r"^(?P<base>.+)\+sd-(?P<pk>\d{1,12})\.(?P<mac>[0-9a-f]+)$")


def request_pk_from_address(address: str) -> int | None:
    """The request a signed reply address belongs to, or None (not ours, or a bad MAC)."""
    local, domain = _split((address or "").strip().lower())
    base_local, base_domain = _split(support_address())
    if domain != base_domain:
        return None
    match = _REPLY_LOCAL_RE.match(local)
    if not match or match["base"] != base_local.lower():
        return None
    pk = int(match["pk"])
    return pk if constant_time_compare(match["mac"], _mac(pk)) else None


def is_own_address(address: str) -> bool:
    """Our support address, any +detail of it, or the sender address of our own mail."""
    address = (address or "").strip().lower()
    if not address:
        return False
    own = {support_address(), parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}
    if address in own:
        return True
    local, domain = _split(address)
    for candidate in own:
        own_local, own_domain = _split(candidate)
        if domain == own_domain and local.startswith(f"{own_local}+"):
            return True
    return False


def message_id_for(key: str) -> str:
    """A stable Message-ID for the outgoing notification with this unique key: every retry of
    the same notification carries the same id, so a reply to any copy threads the same way."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    _, domain = _split(support_address())
    return f"<sd.{digest}@{domain or 'supportdesk.invalid'}>"


def message_ids_in(value: str) -> list[str]:
    """The <ids> in an In-Reply-To or References header, in order, without duplicates."""
    seen: list[str] = []
    for found in MESSAGE_ID_RE.findall(value or ""):
        normalised = f"<{found}>"
        if normalised not in seen:
            seen.append(normalised)
    return seen


def tag_request_pk(subject: str) -> int | None:
    match = TAG_RE.search(subject or "")
    return int(match.group(1)) if match else None


def addresses_in(*values: str) -> list[str]:
    """Bare lowercase addresses from To/Cc-style header values."""
    return [addr.lower() for _, addr in getaddresses([v for v in values if v]) if addr]
