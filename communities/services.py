"""Support budgets (DOMAIN.md "Support budget"): hours per community per month for non-incident
work. Months are calendar months in the community's time zone."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from communities.models import BudgetSettings, Community, SupportBudget


def month_of(instant: datetime.datetime, *, community: Community) -> datetime.date:
    """The first day of the month that `instant` falls in, in the community's time zone."""
    local = instant.astimezone(zoneinfo.ZoneInfo(community.timezone))
    return local.date().replace(day=1)


def default_budget_hours() -> Decimal:
    return BudgetSettings.load().default_monthly_hours


def budget_hours(*, community: Community, month: datetime.date) -> Decimal:
    budget = SupportBudget.objects.filter(community=community, month=month).first()
    return budget.hours if budget else default_budget_hours()


@dataclass(frozen=True)
class BudgetStatus:
    community_id: int
    month: datetime.date
    hours: Decimal
    used: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.hours - self.used

    @property
    def fraction_used(self) -> float:
        if self.hours <= 0:
            return 1.0 if self.used > 0 else 0.0
        return float(self.used / self.hours)

    @property
    def percent_used(self) -> int:
        return round(self.fraction_used * 100)

    @property
    def exhausted(self) -> bool:
        return self.used >= self.hours


def used_hours(*, community: Community, month: datetime.date) -> Decimal:
    from tickets.models import TimeEntry

    minutes = (
        TimeEntry.objects.filter(
            community=community, budget_month=month, counts_against_budget=True
        ).aggregate(total=Sum("minutes"))["total"]
        or 0
    )
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


def budget_status(*, community: Community, month: datetime.date | None = None) -> BudgetStatus:
    month = month or month_of(timezone.now(), community=community)
    return BudgetStatus(
        community_id=community.pk,
        month=month,
        hours=budget_hours(community=community, month=month),
        used=used_hours(community=community, month=month),
    )
