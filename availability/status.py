"""How a hub's status is derived, how the 90-day history is drawn, and how the public pages are
cached. Pure rules here; the reads are in selectors.py, the writes in services.py.

A hub is, in this order:
- in an **outage** when an open incident on it has severity "outage";
- **degraded** when an open incident on it has severity "degraded";
- **under maintenance** when one of its (not cancelled) maintenance windows is running;
- **operational** otherwise.
An admin's manual override (communities.Hub.status_override, with a reason) wins over all of it.

Caching: every public page is cached under a key that includes a *version token*. Any change to
an incident or a maintenance window replaces the token (services/hub_status.py's
on_incident_changed and the maintenance services call `invalidate()`), so the next request
renders afresh; the short TTL (AvailabilitySettings.status_cache_seconds) bounds staleness for
changes made behind the services' back (the Django admin, a shell)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import dateformat
from django.utils.translation import gettext

from availability.models import AvailabilitySettings
from communities.models import Hub
from supportdesk import cachetoken, safecache

Status = Hub.Status

HISTORY_DAYS = 90

# Worse statuses rank higher; a day in the history strip shows the worst thing that happened.
RANK: dict[str, int] = {
    Status.OPERATIONAL: 0,
    Status.MAINTENANCE: 1,
    Status.DEGRADED: 2,
    Status.OUTAGE: 3,
}

LABELS = dict(Status.choices)


def derive_status(*, incident_severities: Iterable[str], in_maintenance: bool) -> str:
    """A hub's status from the severities of its open incidents and whether it is in a window."""
    severities = set(incident_severities)
    if severities:
        # Anything but an explicit "degraded" counts as an outage: never understate it.
        return Status.DEGRADED if severities == {"degraded"} else Status.OUTAGE
    return Status.MAINTENANCE if in_maintenance else Status.OPERATIONAL


def effective_status(*, derived: str, override: str) -> str:
    return override or derived


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=lambda s: RANK.get(s, 3), default=Status.OPERATIONAL)


# --- the 90-day history strip -----------------------------------------------------------------


@dataclass
class Day:
    date: datetime.date
    status: str = Status.OPERATIONAL
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        # Day and month names in the reader's language (strftime follows the process locale).
        text = f"{dateformat.format(self.date, 'D d M Y')}: {LABELS[self.status]}"
        if self.notes:
            text += " (" + "; ".join(self.notes) + ")"
        return text


@dataclass
class Strip:
    days: list[Day]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(RANK, 0)
        for day in self.days:
            counts[day.status] += 1
        return counts

    @property
    def summary(self) -> str:
        counts = self.counts
        parts = [gettext("%(n)d days operational") % {"n": counts[Status.OPERATIONAL]}]
        for status in (Status.DEGRADED, Status.OUTAGE, Status.MAINTENANCE):
            if counts[status]:
                parts.append(f"{counts[status]} {str(LABELS[status]).lower()}")
        return gettext("Last %(days)d days: %(parts)s") % {
            "days": len(self.days),
            "parts": ", ".join(parts),
        }

    @property
    def eventful_days(self) -> list[tuple[int, Day]]:
        """(position, day) of the days that were not simply operational: the only ones drawn."""
        return [(i, d) for i, d in enumerate(self.days) if d.status != Status.OPERATIONAL]


def history_dates(today: datetime.date, days: int = HISTORY_DAYS) -> list[datetime.date]:
    return [today - datetime.timedelta(days=n) for n in range(days - 1, -1, -1)]


def build_strip(
    *,
    dates: list[datetime.date],
    spans: Iterable[tuple[datetime.datetime, datetime.datetime, str, str]],
) -> Strip:
    """`spans` are (start, end, status, note) periods; each date takes the worst status of the
    spans touching it (dates are UTC calendar days)."""
    days = [Day(date=d) for d in dates]
    if not days:
        return Strip(days=[])
    first = dates[0]
    for start, end, status, note in spans:
        start_day = start.astimezone(datetime.UTC).date()
        end_day = end.astimezone(datetime.UTC).date()
        if end_day < first or start_day > dates[-1]:
            continue
        lo = max((start_day - first).days, 0)
        hi = min((end_day - first).days, len(days) - 1)
        for day in days[lo : hi + 1]:
            if RANK[status] > RANK[day.status]:
                day.status = status
            if note and note not in day.notes:
                day.notes.append(note)
    return Strip(days=days)


# --- caching ----------------------------------------------------------------------------------

VERSION_KEY = "availability:status:version"


def version() -> str:
    return cachetoken.current(VERSION_KEY)


def _bump() -> None:
    safecache.bump(VERSION_KEY)  # never raises: a cache outage must not fail the change


def invalidate() -> None:
    """Make the next status page request render afresh. Bumped now (so this transaction's own
    reads see the change) and again after commit (so a page rendered by another process from
    the not-yet-committed state while we were running is not kept)."""
    _bump()
    transaction.on_commit(_bump)


def cache_seconds() -> int:
    return AvailabilitySettings.load().status_cache_seconds


def cached(name: str, build: Callable[[], object], *, timeout: int | None = None) -> object:
    """The value cached under `name` for the current version, built by `build()` on a miss.
    "Nothing there" (None) is not cached: it may appear any moment. Without a cache (Redis
    down) the page is built from the database every time."""
    return safecache.cached(
        lambda: f"availability:status:{version()}:{name}",
        build,
        timeout=timeout if timeout is not None else cache_seconds,
    )
