"""A desk that grows: requests built through the real services, in two communities in
different time zones, some triaged as incidents (their clocks use the other calendar), some as
change requests with a reply, a note and logged time; and one request whose conversation grows.

Time is frozen on Wednesday 11 March 2026, 10:00 UTC: a plain working day, far from the
reduced-capacity year edges."""

from __future__ import annotations

import datetime
import itertools

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportdesk import refdata
from tickets import services

NOW = datetime.datetime(2026, 3, 11, 10, 0, tzinfo=datetime.UTC)
# The target for every main page: at most 15 queries whatever the data size.
QUERY_BUDGET = 15


@pytest.fixture(autouse=True)
def _no_static_scan(settings):
    """WhiteNoise scans the static folders whenever a test client loads the middleware."""
    settings.WHITENOISE_USE_FINDERS = False


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def berlin(other_community):
    other_community.timezone = "Europe/Berlin"
    other_community.save()
    return other_community


@pytest.fixture
def grow(clock, rotation, steward, rep, hub, other_rep, other_hub, berlin):
    """grow(n): n more requests, alternating between the two communities; of every three, one
    stays new, one is triaged as an incident, one becomes a change request with a reply, an
    internal note and 30 minutes of logged time."""
    counter = itertools.count()

    def _grow(n: int) -> None:
        for _ in range(n):
            i = next(counter)
            requester, where = (rep, hub) if i % 2 == 0 else (other_rep, other_hub)
            r = services.request_submit(
                requester=requester,
                hub=where,
                subject=f"Request {i}",
                description="Users cannot *import* xarray.",
            )
            if i % 3 == 1:
                services.request_triage(
                    support_request=r, by=steward, category="incident", expected_version=r.version
                )
            elif i % 3 == 2:
                r = services.request_triage(
                    support_request=r, by=steward, category="change", expected_version=r.version
                )
                services.request_reply(support_request=r, by=steward, body=f"Looking at it ({i}).")
                services.request_add_note(support_request=r, by=steward, body="Probably the image.")
                services.request_log_time(support_request=r, by=steward, minutes=30)

    return _grow


@pytest.fixture
def conversation(clock, rotation, steward, rep, hub):
    """One change request and talk(n): n more rounds on it (a representative's reply, the
    team's answer, an internal note, 15 minutes logged): its page lists them all."""
    r = services.request_submit(
        requester=rep, hub=hub, subject="Kernel dies", description="On import."
    )
    r = services.request_triage(
        support_request=r, by=steward, category="change", expected_version=1
    )
    counter = itertools.count()

    def talk(n: int) -> None:
        for _ in range(n):
            i = next(counter)
            clock.shift(datetime.timedelta(minutes=5))
            services.request_reply(support_request=r, by=rep, body=f"Still broken ({i}).")
            services.request_reply(support_request=r, by=steward, body=f"Trying fix {i}.")
            services.request_add_note(support_request=r, by=steward, body=f"Note {i}.")
            services.request_log_time(support_request=r, by=steward, minutes=15)

    talk.request = r
    return talk


@pytest.fixture
def count_queries():
    """count_queries(call) -> (queries, result), after one warm-up call that settles one-off
    rows (settings singletons created on first read)."""

    def _count(call):
        # The desk was set up in this test's transaction; in production it would have been
        # committed long before, and the reference data cached (supportdesk.refdata).
        refdata.mark_committed()
        call()
        with CaptureQueriesContext(connection) as ctx:
            result = call()
        return len(ctx.captured_queries), result

    return _count
