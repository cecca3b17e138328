"""pk_url writes, from one reverse(), the very URL reverse() gives for each primary key."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportdesk.urlbuild import pk_url


@pytest.mark.parametrize(
    "name", ["tickets:desk_request", "tickets:detail", "tickets:attachment_download"]
)
@pytest.mark.parametrize("pk", [1, 9, 10, 918273645, 2_147_483_647])
def test_pk_url_is_what_reverse_gives(name, pk):
    assert pk_url(name)(pk) == reverse(name, args=[pk])


def test_pk_url_follows_the_script_prefix():
    from django.urls import set_script_prefix

    set_script_prefix("/support/")
    try:
        assert pk_url("tickets:desk_request")(42) == reverse("tickets:desk_request", args=[42])
        assert pk_url("tickets:desk_request")(42).startswith("/support/")
    finally:
        set_script_prefix("/")


def test_pk_url_refuses_a_url_without_a_pk():
    with pytest.raises(Exception):  # noqa: B017 - NoReverseMatch
        pk_url("tickets:queue")
