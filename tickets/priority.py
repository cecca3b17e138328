"""The priority order of change and guidance requests (DOMAIN.md "Priority order", highest
first). Incidents come before all of it (rank 0)."""

from __future__ import annotations

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


def priority_rank(
    *,
    is_incident: bool = False,
    has_dedicated_funding: bool = False,
    impacts_many_communities: bool = False,
    aligns_with_team_goals: bool = False,
    aligns_with_upstream_goals: bool = False,
    high_single_community_impact: bool = False,
    budget_fraction_used: float = 0.0,
) -> int:
    if is_incident:
        return INCIDENT_RANK
    # Dedicated funding pays for the work itself, so an exhausted budget does not demote it.
    if has_dedicated_funding:
        return 1
    # Over budget: "the community's further requests drop to the bottom of the priority order".
    if budget_fraction_used >= 1.0:
        return 8
    if impacts_many_communities:
        return 2
    if aligns_with_team_goals:
        return 3
    if aligns_with_upstream_goals:
        return 4
    if budget_fraction_used < LITTLE_BUDGET_USED:
        return 5
    if high_single_community_impact:
        return 6
    return 7


def refresh_priority_rank(support_request, *, budget=None) -> list[str]:
    """Set the request's rank from its factors and its community's budget this month. Returns
    the changed field names for the caller to save."""
    from communities.services import budget_status

    r = support_request
    if budget is None and r.category != "incident":
        budget = budget_status(community=r.community)
    r.priority_rank = priority_rank(
        is_incident=r.category == "incident",
        has_dedicated_funding=r.has_dedicated_funding,
        impacts_many_communities=r.impacts_many_communities,
        aligns_with_team_goals=r.aligns_with_team_goals,
        aligns_with_upstream_goals=r.aligns_with_upstream_goals,
        high_single_community_impact=r.high_single_community_impact,
        budget_fraction_used=budget.fraction_used if budget else 0.0,
    )
    return ["priority_rank"]
