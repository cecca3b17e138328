"""Budget usage in the priority order (DOMAIN.md factors 5 and 8), and recomputing stored ranks
when time is logged or the month turns."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities.services import budget_status
from tests.communities.helpers import JAN_15, log_time, open_request
from tests.factories import CommunityFactory, SupportBudgetFactory
from tickets.models import SupportRequest
from tickets.priority import (
    priority_rank,
    priority_recompute_for_community,
    priority_recompute_for_month,
    rank_reason,
    refresh_priority_rank,
)

pytestmark = pytest.mark.django_db
JANUARY = date(2026, 1, 1)


@pytest.mark.parametrize(
    ("fraction", "rank"),
    [(0.0, 5), (0.49, 5), (0.5, 7), (0.99, 7), (1.0, 8), (1.7, 8)],
)
def test_budget_use_places_a_plain_request(fraction, rank):
    assert priority_rank(budget_fraction_used=fraction) == rank


def test_the_first_matching_factor_decides_even_over_budget():
    # DOMAIN.md (corrected 2026-12-01): first match. The old rule sent every over-budget
    # request except funded ones to 8; now 8 decides only when none of 1-6 applies.
    assert priority_rank(impacts_many_communities=True, budget_fraction_used=1.3) == 2
    assert priority_rank(aligns_with_team_goals=True, budget_fraction_used=1.0) == 3
    assert priority_rank(aligns_with_upstream_goals=True, budget_fraction_used=1.0) == 4
    assert priority_rank(high_single_community_impact=True, budget_fraction_used=1.0) == 6
    assert priority_rank(has_dedicated_funding=True, budget_fraction_used=1.0) == 1
    assert priority_rank(budget_fraction_used=1.0) == 8


def test_the_rank_text_names_the_deciding_factor_and_the_ones_without_effect():
    factors = {"impacts_many_communities": True, "budget_fraction_used": 1.3}
    assert rank_reason(rank=priority_rank(**factors), **factors) == (
        "Rank 2, impacts many communities: the first factor in the order that applies "
        "(also applies, without effect: the community has no budget left)"
    )
    assert rank_reason(rank=8, budget_fraction_used=1.0) == (
        "Rank 8, the community has no budget left: the first factor in the order that applies"
    )
    assert rank_reason(rank=7, budget_fraction_used=0.7).startswith(
        "Rank 7: none of the priority factors applies"
    )


def test_little_budget_used_outranks_high_single_community_impact():
    assert priority_rank(high_single_community_impact=True, budget_fraction_used=0.2) == 5
    assert priority_rank(high_single_community_impact=True, budget_fraction_used=0.6) == 6


def test_incidents_come_first_whatever_the_budget():
    assert priority_rank(is_incident=True, budget_fraction_used=3.0) == 0


@time_machine.travel(JAN_15, tick=False)
def test_a_request_reads_its_communitys_budget_this_month(community, ten_hour_default):
    support_request = open_request(community)
    log_time(open_request(community), 10 * 60)
    refresh_priority_rank(support_request)
    assert support_request.priority_rank == 8


# ---------------------------------------------------------------------------------------------
# Recomputing when time is logged


@time_machine.travel(JAN_15, tick=False)
def test_logging_time_past_the_budget_moves_the_communitys_open_requests_down(
    community, other_community, ten_hour_default
):
    ours = [open_request(community) for _ in range(3)]
    theirs = open_request(other_community)
    incident = open_request(community, "incident", priority_rank=0)
    log_time(ours[0], 10 * 60)
    assert priority_recompute_for_community(community=community) == 3
    assert {
        r.priority_rank for r in SupportRequest.objects.filter(pk__in=[r.pk for r in ours])
    } == {8}
    theirs.refresh_from_db()
    incident.refresh_from_db()
    assert (theirs.priority_rank, incident.priority_rank) == (7, 0)


@time_machine.travel(JAN_15, tick=False)
def test_recomputing_does_not_touch_versions_or_closed_requests(community, ten_hour_default):
    support_request = open_request(community)
    closed = open_request(
        community,
        status=SupportRequest.Status.CLOSED,
        resolved_at=JAN_15,
        closed_at=JAN_15,
    )
    log_time(support_request, 10 * 60)
    priority_recompute_for_community(community=community)
    support_request.refresh_from_db()
    closed.refresh_from_db()
    assert (support_request.priority_rank, support_request.version) == (8, 1)
    assert closed.priority_rank == 7


# ---------------------------------------------------------------------------------------------
# Recomputing when the month turns

JAN_31_NOON = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
FEB_1_MORNING = datetime(2026, 2, 1, 1, 0, tzinfo=UTC)


def test_a_new_month_brings_a_community_back_from_the_bottom(community, ten_hour_default):
    support_request = open_request(community)
    with time_machine.travel(JAN_31_NOON, tick=False):
        log_time(support_request, 12 * 60, at=JAN_31_NOON)
        assert priority_recompute_for_month() == 1
        support_request.refresh_from_db()
        assert support_request.priority_rank == 8
        assert priority_recompute_for_month() == 0  # nothing changed: nothing written
    with time_machine.travel(FEB_1_MORNING, tick=False):
        assert priority_recompute_for_month() == 1
    support_request.refresh_from_db()
    assert support_request.priority_rank == 5


def test_each_community_turns_the_month_at_its_own_midnight(community, ten_hour_default):
    auckland = CommunityFactory(slug="nz", timezone="Pacific/Auckland")
    nz_request, utc_request = open_request(auckland), open_request(community)
    with time_machine.travel(JAN_15, tick=False):
        log_time(nz_request, 12 * 60)
        log_time(utc_request, 12 * 60)
        priority_recompute_for_month()
    # 31 January 12:00 UTC is already 1 February in Auckland.
    with time_machine.travel(JAN_31_NOON, tick=False):
        priority_recompute_for_month()
    nz_request.refresh_from_db()
    utc_request.refresh_from_db()
    assert (nz_request.priority_rank, utc_request.priority_rank) == (5, 8)


def test_recomputing_for_a_named_month(community, ten_hour_default):
    support_request = open_request(community)
    log_time(support_request, 12 * 60)
    assert priority_recompute_for_month(month=date(2026, 3, 1)) == 1  # nothing used in March
    support_request.refresh_from_db()
    assert support_request.priority_rank == 5
    priority_recompute_for_month(month=JANUARY)
    support_request.refresh_from_db()
    assert support_request.priority_rank == 8


def _build(communities: int, requests_each: int) -> None:
    for i in range(communities):
        c = CommunityFactory(slug=f"c{communities}-{i}")
        SupportBudgetFactory(community=c, month=JANUARY, hours=Decimal("1"))
        rs = [open_request(c) for _ in range(requests_each)]
        log_time(rs[0], 120)


@time_machine.travel(JAN_15, tick=False)
def test_recomputing_every_rank_costs_the_same_queries_for_3_or_12_communities(
    ten_hour_default,
):
    _build(3, 2)
    SupportRequest.objects.update(priority_rank=7)
    with CaptureQueriesContext(connection) as small:
        assert priority_recompute_for_month() == 6
    SupportRequest.objects.all().delete()
    _build(12, 4)
    with CaptureQueriesContext(connection) as large:
        assert priority_recompute_for_month() == 48
    assert len(large) == len(small)
    assert budget_status(community=CommunityFactory(slug="c12-0")).exhausted


@time_machine.travel(JAN_15, tick=False)
def test_an_over_budget_request_that_impacts_many_communities_ranks_2(community, ten_hour_default):
    support_request = open_request(community)
    log_time(open_request(community), 11 * 60)  # over the 10-hour budget
    support_request.impacts_many_communities = True
    refresh_priority_rank(support_request)
    assert support_request.priority_rank == 2  # was 8 under the old "over budget first" rule
