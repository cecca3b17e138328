"""URLs of many rows at the cost of one reverse().

reverse() walks the resolver for every call (about 60 function calls each); a list page that
links each of its 50 rows to the row's page paid that 50 times. `pk_url(name)` reverses the URL
once with a marker for the primary key and returns a function that writes the URL of any pk by
putting the number in the marker's place: the same string reverse() gives for a URL with one
`<int:pk>` argument (digits need no quoting), as tests/supportdesk/test_urlbuild.py checks."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

_MARKER = "918273645"


def pk_url(viewname: str) -> Callable[[int], str]:
    """A function pk -> reverse(viewname, args=[pk]), for a URL whose one argument is an int."""
    head, marker, tail = reverse(viewname, args=[int(_MARKER)]).rpartition(_MARKER)
    if not marker:
        raise ValueError(f"{viewname} does not take its pk as its one argument")

    def url(pk: int) -> str:
        return f"{head}{int(pk)}{tail}"

    return url
