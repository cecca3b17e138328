"""Who else is on a request's page (issue 19, collision warnings).

The request page polls `desk_presence` every ~15 s (htmx); each poll records "this steward has
the page open" (and "is typing a reply" when the reply box was edited in the last seconds) in
one cache record per request, and answers with the other stewards seen in the last
`PRESENT_SECONDS`. It is a hint, not a lock: the stale-reply check in `request_reply` is what
prevents a reply written past a colleague's message.

The record lives only in the cache, through `supportdesk.safecache`: when the cache is down
nobody is shown (and nothing fails). Two polls writing the same record at once may drop one
steward's entry until their next poll, 15 s later; a hint can afford that, and no lock is held."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from supportdesk import safecache

POLL_SECONDS = 15
# Two missed polls (a slow network, a background tab) before someone disappears.
PRESENT_SECONDS = 2 * POLL_SECONDS + 5
# A steward shown "typing" stops being so this long after their last keystroke was reported.
TYPING_SECONDS = 25


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    typing: bool
    since: datetime.datetime


def _key(request_id: int) -> str:
    return f"presence:request:{request_id}"


def _others(record: dict, *, user_id: int, now: float) -> list[Presence]:
    people = []
    for uid, entry in record.items():
        if int(uid) == user_id or now - entry["seen"] > PRESENT_SECONDS:
            continue
        people.append(
            Presence(
                user_id=int(uid),
                name=entry["name"],
                typing=now - entry.get("typed", 0) <= TYPING_SECONDS,
                since=datetime.datetime.fromtimestamp(entry["since"], tz=datetime.UTC),
            )
        )
    return sorted(people, key=lambda p: (not p.typing, p.name))


def presence_touch(*, request_id: int, user, typing: bool = False) -> list[Presence]:
    """Record that `user` has the request open (typing a reply when `typing`) and return the
    other people who have it open, those typing first. [] when the cache is unavailable."""
    now = timezone.now().timestamp()
    record = safecache.get(_key(request_id))
    available = record is not None or safecache.available()
    record = {
        uid: entry
        for uid, entry in (record or {}).items()
        if now - entry["seen"] <= PRESENT_SECONDS
    }
    mine = record.get(str(user.pk)) or {"since": now}
    mine.update(name=user.display_name, seen=now)
    if typing:
        mine["typed"] = now
    record[str(user.pk)] = mine
    if not available or not safecache.set(_key(request_id), record, PRESENT_SECONDS):
        return []
    return _others(record, user_id=user.pk, now=now)


def presence_of_others(*, request_id: int, user) -> list[Presence]:
    """Who else has the request open, without recording `user` (read only)."""
    now = timezone.now().timestamp()
    return _others(safecache.get(_key(request_id)) or {}, user_id=user.pk, now=now)
