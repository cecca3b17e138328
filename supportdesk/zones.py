"""Time zones as people read them: "Pacific Time", not "America/Los_Angeles".

Every time shown to a person is in one zone, named once, in words of their language (Babel's
CLDR data names zones in every locale: "Pacific Time", "hora del Pacífico"). Minutes, never
seconds.
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
) -> str:
    """ "Tue 1 Dec 2026, 09:56 Pacific Time": the instant in `zone` (None: the active zone), to
    the minute, day and month names in the active language."""
    if instant is None:
        return ""
    tz = ZoneInfo(zone) if isinstance(zone, str) else (zone or timezone.get_current_timezone())
    local = timezone.localtime(instant, tz)
    text = dateformat.format(local, "D j M Y, H:i" if with_year else "D j M, H:i")
    return f"{text} {zone_name(tz)}" if with_zone else text
