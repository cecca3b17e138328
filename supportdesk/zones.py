"""Every instant the desk shows or writes, formatted here, to the minute (never seconds).

- `format_local`: what a person reads on a page or in their e-mail: in one zone (theirs, the
  community's, or the clock's), named once in words of their language (Babel's CLDR data names
  zones in every locale: "Pacific Time", "hora del Pacífico"); templates: `{% load zones %}`,
  `|local_time`, `|local_time_short`.
- `format_utc`: what is written into stored text that everybody reads the same way (incident
  timeline entries, the report's timeline, feeds and status-page notices): English, UTC,
  "01 Dec 2026 09:56 UTC"; `parse_utc` reads it back; templates: `|utc_time`.
- `format_csv`: a spreadsheet's cell, "2026-12-01 09:56" (UTC, the column header says so).

The working-time engine (supportdesk/worktime.py) writes its own explanations: it is pure
Python and imports nothing of Django or Babel.
"""

from __future__ import annotations

import datetime
import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import get_timezone_name
from django.utils import dateformat, timezone, translation

# Zones whose CLDR generic name is a city or a country, where a plainer word reads better.
_PLAIN_NAMES = {"UTC": "UTC", "Etc/UTC": "UTC", "GMT": "UTC", "Etc/GMT": "UTC"}


def _locale_name(language: str | None) -> str:
    language = (language or translation.get_language() or "en").replace("-", "_")
    try:
        Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return "en"
    return language


@functools.lru_cache(maxsize=512)
def _zone_name(zone: str, locale: str) -> str:
    if zone in _PLAIN_NAMES:
        return _PLAIN_NAMES[zone]
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return zone.replace("_", " ")
    try:
        return get_timezone_name(tz, width="long", locale=locale)
    except (LookupError, ValueError):  # an alias CLDR does not know
        return zone.rsplit("/", 1)[-1].replace("_", " ")


def zone_name(zone: str | datetime.tzinfo | None, *, language: str | None = None) -> str:
    """The friendly name of a zone in the active (or given) language, e.g. "Pacific Time";
    None is the active zone."""
    if zone is None:
        zone = timezone.get_current_timezone()
    key = zone if isinstance(zone, str) else getattr(zone, "key", None) or str(zone)
    return _zone_name(key, _locale_name(language))


def format_local(
    instant: datetime.datetime | None,
    zone: str | datetime.tzinfo | None = None,
    *,
    with_year: bool = True,
    with_zone: bool = True,
    language: str | None = None,
) -> str:
    """ "Tue 1 Dec 2026, 09:56 Pacific Time": the instant in `zone` (None: the active zone), to
    the minute, day, month and zone names in `language` (None: the active one)."""
    if instant is None:
        return ""
    if language is not None:
        with translation.override(language):
            return format_local(instant, zone, with_year=with_year, with_zone=with_zone)
    tz = ZoneInfo(zone) if isinstance(zone, str) else (zone or timezone.get_current_timezone())
    local = timezone.localtime(instant, tz)
    text = dateformat.format(local, "D j M Y, H:i" if with_year else "D j M, H:i")
    return f"{text} {zone_name(tz)}" if with_zone else text


# The stored form: English whatever the active language (strftime's %b is the C locale's).
_UTC_PATTERN = "%d %b %Y %H:%M"


def format_utc(instant: datetime.datetime) -> str:
    """ "01 Dec 2026 09:56 UTC": the instant as stored texts say it (see the module docstring)."""
    return f"{instant.astimezone(datetime.UTC):{_UTC_PATTERN}} UTC"


def parse_utc(text: str) -> datetime.datetime | None:
    """The instant `format_utc` wrote ("UTC" at the end optional), or None."""
    text = text.strip().removesuffix("UTC").strip()
    try:
        return datetime.datetime.strptime(text, _UTC_PATTERN).replace(tzinfo=datetime.UTC)
    except ValueError:
        return None


def format_csv(instant: datetime.datetime) -> str:
    """ "2026-12-01 09:56": UTC, sortable, as a spreadsheet reads a date and time."""
    return f"{instant.astimezone(datetime.UTC):%Y-%m-%d %H:%M}"
