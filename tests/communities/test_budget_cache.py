"""Budget statuses are cached (communities.services.budget_status) and every write they depend
on drops them: time logged, a budget row, the default hours, a request turning into an incident.
A test runs in one transaction; `settled()` marks its changes committed, as they are by the time
the next request comes (until then the transaction reads the database, never the cache)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities.models import BudgetSettings, SupportBudget
from communities.services import budget_status, current_month
from supportdesk import safecache
from tickets import services

pytestmark = pytest.mark.django_db


def settled():
    safecache.mark_committed()


def status_and_queries(community):
    with CaptureQueriesContext(connection) as queries:
        status = budget_status(community=community)
    return status, len(queries.captured_queries)


def test_the_second_read_is_cached(community):
    BudgetSettings.load()  # created on first use: a change of its own
    settled()
    first, _ = status_and_queries(community)
    again, queries = status_and_queries(community)
    assert again == first and queries == 0


def test_logged_time_shows_at_once(community, steward, triaged):
    settled()
    before, _ = status_and_queries(community)
    services.request_log_time(support_request=triaged, by=steward, minutes=90)
    during, _ = status_and_queries(community)  # this transaction: from the database
    assert during.used == before.used + Decimal("1.50")
    settled()
    after, queries = status_and_queries(community)
    assert after == during and queries > 0
    assert status_and_queries(community) == (after, 0)


def test_a_budget_row_and_the_default_show_at_once(community):
    settled()
    status_and_queries(community)
    SupportBudget.objects.create(
        community=community, month=current_month(community=community), hours=Decimal("7")
    )
    settled()
    assert budget_status(community=community).hours == Decimal("7")
    SupportBudget.objects.filter(community=community).delete()
    settings = BudgetSettings.load()
    settings.hours_per_engineer_month = settings.hours_per_engineer_month * 2
    settings.save()
    settled()
    assert budget_status(community=community).hours != Decimal("7")


def test_time_stops_counting_when_the_request_becomes_an_incident(community, steward, triaged):
    services.request_log_time(support_request=triaged, by=steward, minutes=60)
    settled()
    assert budget_status(community=community).used == Decimal("1.00")
    triaged.refresh_from_db()
    services.request_triage(
        support_request=triaged,
        by=steward,
        category="incident",
        expected_version=triaged.version,
    )
    settled()
    assert budget_status(community=community).used == Decimal("0.00")
