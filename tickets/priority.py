"""The priority order of change and guidance requests (DOMAIN.md "Priority order", highest
first). Incidents come before all of it (rank 0)."""

from __future__ import annotations

from communities.models import Community
from communities.services import budget_status, budget_statuses
from tickets.models import SupportRequest

INCIDENT_RANK = 0
LITTLE_BUDGET_USED = 0.5  # "the community has used little of its budget": under half

RANK_LABELS = {
    0: "Incident: before all other work",
    1: "Comes with dedicated funding",
    2: "Impacts many communities",
    3: "Aligns with the team's existing goals",
    4: "Aligns with an upstream open-source project's goals",
    5: "The community has used little of its budget",
    6: "High impact on a single community",
    7: "The team's other work",
    8: "The community has no budget left",
}

# The deciding factor in two or three words, for the queue's rank column (the full label and
# rank_reason say the rest).
RANK_SHORT = {
    0: "Incident",
    1: "Funded",
    2: "Many communities",
    3: "Team goals",
    4: "Upstream goals",
    5: "Budget to spare",
    6: "High impact",
    7: "Other work",
    8: "No budget left",
}


def applying_factors(
    *,
    has_dedicated_funding: bool = False,
    impacts_many_communities: bool = False,
    aligns_with_team_goals: bool = False,
    aligns_with_upstream_goals: bool = False,
    high_single_community_impact: bool = False,
    budget_fraction_used: float = 0.0,
) -> list[int]:
    """The numbers of every factor of DOMAIN.md's order that applies, highest first. Factor 7
    (the team's other work) is not a property of a request; it is where a request with no
    factor lands."""
    applies = {
        1: has_dedicated_funding,
        2: impacts_many_communities,
        3: aligns_with_team_goals,
        4: aligns_with_upstream_goals,
        5: budget_fraction_used < LITTLE_BUDGET_USED,
        6: high_single_community_impact,
        8: budget_fraction_used >= 1.0,
    }
    return [factor for factor, yes in applies.items() if yes]


def priority_rank(*, is_incident: bool = False, **factors) -> int:
    """DOMAIN.md (corrected 2026-12-01): the rank is the FIRST factor of the order that
    applies. A request that impacts many communities ranks 2 even if its community is over
    budget; an exhausted budget (8) decides only when none of 1-6 applies."""
    if is_incident:
        return INCIDENT_RANK
    applying = applying_factors(**factors)
    return applying[0] if applying else 7


def rank_reason(*, rank: int, **factors) -> str:
    """The rank in words, naming the factor that decided it and the lower ones that did not
    count: "Rank 2, impacts many communities: the first factor in the order that applies
    (also applies, without effect: the community has no budget left)"."""
    if rank == INCIDENT_RANK:
        return f"Rank 0: {RANK_LABELS[0].lower()}"
    if rank == 7:
        return (
            "Rank 7: none of the priority factors applies, so it comes with the team's other work"
        )
    decided = _lower_first(RANK_LABELS[rank])
    text = f"Rank {rank}, {decided}: the first factor in the order that applies"
    lower = [f for f in applying_factors(**factors) if f > rank]
    if lower:
        names = "; ".join(_lower_first(RANK_LABELS[f]) for f in lower)
        text += f" (also applies, without effect: {names})"
    return text


def _lower_first(label: str) -> str:
    return label[0].lower() + label[1:]


def request_factors(r, *, budget_fraction_used: float) -> dict:
    """A request's factors as `priority_rank` and `rank_reason` take them."""
    return {
        "has_dedicated_funding": r.has_dedicated_funding,
        "impacts_many_communities": r.impacts_many_communities,
        "aligns_with_team_goals": r.aligns_with_team_goals,
        "aligns_with_upstream_goals": r.aligns_with_upstream_goals,
        "high_single_community_impact": r.high_single_community_impact,
        "budget_fraction_used": budget_fraction_used,
    }


def refresh_priority_rank(support_request, *, budget=None) -> list[str]:
    """Set the request's rank from its factors and its community's budget this month. Returns
    the changed field names for the caller to save."""
    r = support_request
    if budget is None and r.category != "incident":
        budget = budget_status(community=r.community)
    r.priority_rank = priority_rank(
        is_incident=r.category == "incident",
        **request_factors(r, budget_fraction_used=budget.fraction_used if budget else 0.0),
    )
    return ["priority_rank"]


# ---------------------------------------------------------------------------------------------
# Recomputing stored ranks: when time is logged, when a budget is edited, when the month turns.

RECOMPUTE_BATCH = 500
_RANK_FIELDS = (
    "id",
    "community_id",
    "category",
    "has_dedicated_funding",
    "impacts_many_communities",
    "aligns_with_team_goals",
    "aligns_with_upstream_goals",
    "high_single_community_impact",
    "priority_rank",
)


def _recompute(requests, statuses) -> int:
    """Store fresh ranks for `requests` (open ones) from precomputed `statuses`
    ({community_id: BudgetStatus}); write only the rows whose rank changed, in batches.

    The version field is deliberately not bumped: the rank is derived data, and a steward's
    open form must not turn stale because a colleague logged time on another request."""
    total = 0
    last_pk = 0
    # Keyset batches rather than one long cursor: writing to the table being read is unsafe on
    # SQLite, and short reads keep PostgreSQL from holding a snapshot for the whole sweep.
    while True:
        batch = list(
            requests.filter(pk__gt=last_pk).only(*_RANK_FIELDS).order_by("pk")[:RECOMPUTE_BATCH]
        )
        if not batch:
            return total
        last_pk = batch[-1].pk
        changed = []
        for r in batch:
            before = r.priority_rank
            refresh_priority_rank(r, budget=statuses.get(r.community_id))
            if r.priority_rank != before:
                changed.append(r)
        if changed:
            SupportRequest.objects.bulk_update(changed, ["priority_rank"])
            total += len(changed)


def priority_recompute_for_community(*, community, month=None) -> int:
    """Recompute the ranks of one community's open requests from its budget for `month`
    (default: its current month). Call it after logging time or editing the budget. Returns
    how many ranks changed."""
    status = budget_status(community=community, month=month)
    requests = SupportRequest.objects.filter(
        community=community, status__in=SupportRequest.OPEN_STATUSES
    )
    return _recompute(requests, {community.pk: status})


def priority_recompute_for_month(*, month=None) -> int:
    """Recompute every open request's rank (for beat when the month turns: run it hourly, as
    each community's month starts at its own local midnight). Each community's BudgetStatus is
    computed once, for `month` or (default) its own current month. Returns how many changed."""
    requests = SupportRequest.objects.filter(status__in=SupportRequest.OPEN_STATUSES)
    community_ids = requests.values("community_id").distinct()
    communities = Community.objects.filter(pk__in=community_ids)
    statuses = budget_statuses(communities=communities, month=month)
    return _recompute(requests, statuses)
