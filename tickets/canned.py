"""Filling the placeholders of canned responses (DOMAIN.md "Canned responses").

The templates are admin-edited and the values are user text (subjects, names), so neither is
trusted: `str.format` would evaluate attribute and index lookups written in either, and a
subject containing "{steward_name}" must stay as typed. One regular-expression pass replaces
each known, valued placeholder exactly once; anything else in braces is left for the steward to
fill in before sending."""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDERS = (
    "representative_name",
    "reference",
    "subject",
    "hub",
    "community",
    "steward_name",
    "link",
    "context",
)

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def fill_placeholders(text: str, values: Mapping[str, str]) -> str:
    """Replace {name} by values[name] when it is given and not empty; leave the rest as is."""

    def replace(match: re.Match) -> str:
        value = values.get(match.group(1))
        return str(value) if value else match.group(0)

    return _PLACEHOLDER.sub(replace, text)


def unfilled_placeholders(text: str) -> list[str]:
    """Known placeholders still present in `text`: the steward should fill them before sending."""
    return [name for name in _PLACEHOLDER.findall(text) if name in PLACEHOLDERS]
