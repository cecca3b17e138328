"""Filling the placeholders of canned responses (DOMAIN.md "Canned responses").

The templates are admin-edited and the values are user text (subjects, names), so neither is
trusted: `str.format` would evaluate attribute and index lookups written in either, and a
subject containing "{steward_name}" must stay as typed. One regular-expression pass replaces
each known, valued placeholder exactly once; anything else in braces is left for the steward to
fill in before sending."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.utils.translation import gettext

from supportdesk.errors import DomainError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

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


def fill_placeholders(text: str, values: Mapping[str, StrOrPromise]) -> str:
    """Replace {name} by values[name] when it is given and not empty; leave the rest as is."""

    def replace(match: re.Match) -> str:
        value = values.get(match.group(1))
        return str(value) if value else match.group(0)

    return _PLACEHOLDER.sub(replace, text)


def unfilled_placeholders(text: str, *, allowed: tuple[str, ...] = ()) -> list[str]:
    """Known placeholders still present in `text` (each once, in order of appearance): the
    steward must fill them before sending. `allowed` are filled later by the sender itself
    (an incident update's {representative_name}, per recipient)."""
    found = [n for n in _PLACEHOLDER.findall(text) if n in PLACEHOLDERS and n not in allowed]
    return list(dict.fromkeys(found))


def refuse_unfilled(text: str, *, field: str = "body", allowed: tuple[str, ...] = ()) -> None:
    """Raise a DomainError naming every placeholder of `text` still in braces: a canned reply
    must never reach a representative with "{context}" in it."""
    names = unfilled_placeholders(text, allowed=allowed)
    if names:
        listed = ", ".join("{" + n + "}" for n in names)
        raise DomainError(
            gettext("Not sent: fill in %(listed)s first (replace the braces with the text).")
            % {"listed": listed},
            field=field,
        )


# A section of a template: "**Next steps:**" at the start of a line. Its text runs to the next
# blank line or the next section.
_SECTION = re.compile(r"^\*\*([^*\n]{1,80}?):\*\*[ \t]*(.*)$")


def empty_sections(text: str) -> list[str]:
    """Names of the "**Heading:**" sections of `text` left with nothing after them (e.g. the
    incident update's "Next steps" when the steward did not write any)."""
    empty = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = _SECTION.match(line.strip())
        if not match:
            continue
        content = [match.group(2).strip()]
        for following in lines[i + 1 :]:
            if not following.strip() or _SECTION.match(following.strip()):
                break
            content.append(following.strip())
        if not "".join(content):
            empty.append(match.group(1).strip())
    return empty
