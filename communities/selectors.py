"""Permission-scoped reads of communities and their budgets.

Budgets are shown to the desk (staff: every community) and to each community's representative
(their own community only). Hub administrators and other members do not see them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils.formats import date_format
from django.utils.translation import gettext

from accounts.models import User
from accounts.roles import is_staff_member, representative_community
from communities.models import Community, Membership
from communities.services import (
    BudgetStatus,
    add_months,
    budget_status,
    budget_statuses,
    budget_statuses_for_months,
    counted_time_entries,
    current_month,
    minutes_to_hours,
)

HISTORY_MONTHS = 6  # besides the current one


@dataclass(frozen=True)
class RequestSpend:
    request_id: int
    reference: str
    subject: str
    hours: Decimal


@dataclass(frozen=True)
class MonthBudget:
    status: BudgetStatus
    spent: tuple[RequestSpend, ...]  # the requests the time went to, most hours first

    @property
    def month(self) -> datetime.date:
        return self.status.month


def budget_community_for(*, user: User, slug: str | None = None) -> Community | None:
    """The community whose budget `user` may see: with no slug, a representative's own; with a
    slug, any community for staff and only their own for a representative. None otherwise, so
    the view answers 404 without telling whether the community exists."""
    if slug is None:
        return None if is_staff_member(user) else representative_community(user)
    if is_staff_member(user):
        return Community.objects.filter(slug=slug).first()
    own = representative_community(user)
    return own if own is not None and own.slug == slug else None


def budget_history(
    *, community: Community, months: int = HISTORY_MONTHS, at: datetime.datetime | None = None
) -> list[MonthBudget]:
    """This month (in the community's time zone) and the `months` before it, newest first: the
    budget, what was used and what it was spent on (request references and hours). Three or four
    queries whatever the number of entries."""
    this_month = current_month(community=community, at=at)
    wanted = [add_months(this_month, -i) for i in range(months + 1)]
    statuses = budget_statuses_for_months(community=community, months=wanted)
    rows = (
        counted_time_entries()
        .filter(community=community, budget_month__in=wanted)
        .values("budget_month", "request_id", "request__subject")
        .annotate(total=Sum("minutes"))
        .order_by("budget_month", "-total", "request_id")
    )
    spent: dict[datetime.date, list[RequestSpend]] = {m: [] for m in wanted}
    for row in rows:
        spent[row["budget_month"]].append(
            RequestSpend(
                request_id=row["request_id"],
                reference=f"SD-{row['request_id']}",
                subject=row["request__subject"],
                hours=minutes_to_hours(row["total"]),
            )
        )
    return [MonthBudget(status=statuses[m], spent=tuple(spent[m])) for m in wanted]


def budget_overview(*, at: datetime.datetime | None = None) -> list[tuple[Community, BudgetStatus]]:
    """Every active community with its budget status this month (staff), fullest first."""
    communities = list(Community.objects.filter(is_active=True))
    statuses = budget_statuses(communities=communities, at=at)
    pairs = [(c, statuses[c.pk]) for c in communities]
    return sorted(pairs, key=lambda pair: (-pair[1].fraction_used, pair[0].name.casefold()))


def budget_notice_for(*, community: Community) -> str | None:
    """What the request form tells a representative about their budget this month: None while
    there is plenty left, a warning when it is nearly used, and what an exhausted budget means
    for the priority of new requests."""
    return budget_notice_from(status=budget_status(community=community), community=community)


def budget_notice_from(*, status: BudgetStatus, community: Community) -> str | None:
    """budget_notice_for, from a status already at hand."""
    month = date_format(status.month, "F Y")
    next_month = date_format(add_months(status.month, 1), "j F Y")
    values = {
        "community": community.name,
        "month": month,
        "next_month": next_month,
        "used": status.used,
        "hours": status.hours,
        "percent": status.percent_used,
        "remaining": status.remaining,
    }
    if status.exhausted:
        return (
            gettext(
                "%(community)s has used its support budget for %(month)s (%(used)s of %(hours)s "
                "hours). New change and guidance requests go to the bottom of the priority order "
                "until the budget renews on %(next_month)s, unless they come with dedicated "
                "funding; the team may ask about extra funding. Incidents are not affected: they "
                "never draw on the budget and come before all other work."
            )
            % values
        )
    if status.nearly_exhausted:
        return (
            gettext(
                "%(community)s has used %(percent)s%% of its support budget for %(month)s "
                "(%(remaining)s of %(hours)s hours left). Once it is used up, new change and "
                "guidance requests go to the bottom of the priority order until the budget "
                "renews. Incidents never draw on the budget."
            )
            % values
        )
    return None


def community_members(*, community):
    """Representatives and hub administrators of a community, by name."""
    return (
        Membership.objects.filter(community=community, user__is_active=True)
        .select_related("user")
        .order_by("role", "user__first_name", "user__last_name", "user__username")
    )
