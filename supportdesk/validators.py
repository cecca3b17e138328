from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not an IANA time zone name (e.g. Europe/Berlin).")
