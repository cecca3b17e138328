"""Support budgets (DOMAIN.md "Support budget"): hours per community per month for non-incident
work. Months are calendar months in the community's time zone.

- The default budget comes from the team's capacity (BudgetSettings): hours an engineer works in
  a month x the share they spend on support / communities one engineer serves. An admin may set
  another figure per community and month (a SupportBudget row); months without a row use the
  default.
- Usage is the time logged on the community's requests that month, except incident work, which
  is recorded but never counted. A TimeEntry carries its month (`budget_month`, computed from
  `worked_at` in the community's zone when it is logged) and whether it counts; a request
  re-triaged as an incident stops counting even if its entries were logged before.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery, Sum
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext

from communities.models import BudgetSettings, Community, SupportBudget
from supportdesk import refdata, safecache
from supportdesk.errors import DomainError

# "Above 80%": the admin filter and the representative's notice agree on this line.
NEARLY_EXHAUSTED_PERCENT = 80
HUNDREDTH = Decimal("0.01")

# The time entries behind a "used" figure. Both conditions, so that time logged before triage
# stops counting once the request turns out to be an incident.
COUNTS_AGAINST_BUDGET = Q(counts_against_budget=True) & ~Q(request__category="incident")


def counted_time_entries():
    """TimeEntry rows that draw on budgets (filter further by community and budget_month)."""
    from tickets.models import TimeEntry  # noqa: PLC0415 - upward import: a listed layer exception

    return TimeEntry.objects.filter(COUNTS_AGAINST_BUDGET)


def minutes_to_hours(minutes: int) -> Decimal:
    return (Decimal(minutes or 0) / 60).quantize(HUNDREDTH)


# ---------------------------------------------------------------------------------------------
# Months


def month_of(instant: datetime.datetime, *, community: Community) -> datetime.date:
    """The first day of the month that `instant` falls in, in the community's time zone."""
    local = instant.astimezone(zoneinfo.ZoneInfo(community.timezone))
    return local.date().replace(day=1)


def current_month(*, community: Community, at: datetime.datetime | None = None) -> datetime.date:
    return month_of(at or timezone.now(), community=community)


def add_months(month: datetime.date, count: int) -> datetime.date:
    """The first day of the month `count` months after (negative: before) `month`."""
    index = month.year * 12 + (month.month - 1) + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def _require_first_day(month: datetime.date) -> None:
    if isinstance(month, datetime.datetime) or not isinstance(month, datetime.date):
        raise DomainError(
            gettext("A budget month must be a date, not %(month)s.") % {"month": repr(month)},
            field="month",
        )
    if month.day != 1:
        raise DomainError(gettext("A budget month is given by its first day."), field="month")


# ---------------------------------------------------------------------------------------------
# Budget and usage


def default_budget_hours() -> Decimal:
    """Hours of a month without a SupportBudget row (cached: see supportdesk.refdata)."""
    return refdata.cached(
        "communities:default_budget_hours", lambda: BudgetSettings.load().default_monthly_hours
    )


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

    @property
    def overrun(self) -> Decimal:
        """Hours used beyond the budget (0 while within it)."""
        return max(self.used - self.hours, Decimal("0"))

    @property
    def bar_percent(self) -> int:
        """percent_used capped at 100, for the width of a progress bar."""
        return min(self.percent_used, 100)

    @property
    def nearly_exhausted(self) -> bool:
        return not self.exhausted and self.percent_used >= NEARLY_EXHAUSTED_PERCENT


def used_hours(*, community: Community, month: datetime.date) -> Decimal:
    minutes = (
        counted_time_entries()
        .filter(community=community, budget_month=month)
        .aggregate(total=Sum("minutes"))["total"]
    )
    return minutes_to_hours(minutes or 0)


# The family of cached budget statuses (supportdesk.safecache): dropped by budgets_changed().
BUDGETS_VERSION_KEY = "communities:budgets"
BUDGETS_TIMEOUT = 60 * 60


def budgets_changed() -> None:
    """Forget every cached budget status, now and when the transaction commits. Called on every
    write a status depends on: time entries, budget rows, the default hours, a request's
    category (signals: communities.apps and tickets.apps) and the writes that send no signal."""
    safecache.invalidate(BUDGETS_VERSION_KEY)


def _budget_data_changed(sender, **kwargs) -> None:
    budgets_changed()


def _request_saved(sender, update_fields=None, created=False, **kwargs) -> None:
    # Incident work never counts: a request's category decides whether its time does (a new
    # request has no time yet).
    if not created and (update_fields is None or "category" in update_fields):
        budgets_changed()


def connect_signals() -> None:
    """Called by communities.apps once the models are loaded."""
    from tickets.models import SupportRequest, TimeEntry  # noqa: PLC0415 - upward import: a listed layer exception

    for model in (SupportBudget, BudgetSettings, TimeEntry):
        uid = f"budgets:{model.__name__}"
        post_save.connect(_budget_data_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(_budget_data_changed, sender=model, dispatch_uid=f"{uid}:delete")
    post_save.connect(_request_saved, sender=SupportRequest, dispatch_uid="budgets:request")


def budget_status(*, community: Community, month: datetime.date | None = None) -> BudgetStatus:
    """The community's budget for `month` (default: its current month, in its time zone) and its
    usage: `budget_statuses` for one community (one query when its month has a budget row),
    cached until budgets_changed() (the request page and every submission read it)."""
    month = month or current_month(community=community)
    if safecache.changing(BUDGETS_VERSION_KEY):
        return budget_statuses(communities=[community], month=month)[community.pk]
    return safecache.cached(
        lambda: safecache.versioned(BUDGETS_VERSION_KEY, f"{community.pk}:{month.isoformat()}"),
        lambda: budget_statuses(communities=[community], month=month)[community.pk],
        timeout=BUDGETS_TIMEOUT,
    )


def budget_statuses_for_months(
    *, community: Community, months: Iterable[datetime.date]
) -> dict[datetime.date, BudgetStatus]:
    """One community over several months, in at most three queries."""
    months = sorted(set(months))
    hours = dict(
        SupportBudget.objects.filter(community=community, month__in=months).values_list(
            "month", "hours"
        )
    )
    minutes = dict(
        counted_time_entries()
        .filter(community=community, budget_month__in=months)
        .values("budget_month")
        .annotate(total=Sum("minutes"))
        .values_list("budget_month", "total")
    )
    default = default_budget_hours() if len(hours) < len(months) else Decimal("0")
    return {
        month: BudgetStatus(
            community_id=community.pk,
            month=month,
            hours=hours.get(month, default),
            used=minutes_to_hours(minutes.get(month, 0)),
        )
        for month in months
    }


def budget_statuses(
    *,
    communities: Iterable[Community],
    month: datetime.date | None = None,
    at: datetime.datetime | None = None,
) -> dict[int, BudgetStatus]:
    """Each community's status for `month` (default: its own current month, in its own time
    zone), keyed by community id: one query per distinct month (one, except when the
    communities' zones straddle a month's turn), the budget row and the usage read in subqueries
    beside each community, whatever the number of communities."""
    at = at or timezone.now()
    months = {c.pk: month or month_of(at, community=c) for c in communities}
    if not months:
        return {}
    by_month: dict[datetime.date, list[int]] = {}
    for pk, m in months.items():
        by_month.setdefault(m, []).append(pk)
    found: dict[int, tuple[Decimal | None, int | None]] = {}
    for m, pks in by_month.items():
        hours = SupportBudget.objects.filter(community_id=OuterRef("pk"), month=m).values("hours")
        usage = (
            counted_time_entries()
            .filter(community_id=OuterRef("pk"), budget_month=m)
            .order_by()
            .values("community_id")
            .annotate(total=Sum("minutes"))
            .values("total")
        )
        for pk, h, used in (
            Community.objects.filter(pk__in=pks)
            .annotate(budget_hours=Subquery(hours[:1]), used_minutes=Subquery(usage))
            .values_list("pk", "budget_hours", "used_minutes")
        ):
            found[pk] = (h, used)
    missing = any(found.get(pk, (None, None))[0] is None for pk in months)
    default = default_budget_hours() if missing else Decimal("0")
    statuses = {}
    for pk, m in months.items():
        h, used = found.get(pk, (None, None))
        statuses[pk] = BudgetStatus(
            community_id=pk,
            month=m,
            hours=default if h is None else h,
            used=minutes_to_hours(used or 0),
        )
    return statuses


# ---------------------------------------------------------------------------------------------
# Changes


def budget_ensure_month(*, month: datetime.date | None = None) -> int:
    """Give every active community a budget row for `month` (default: each community's current
    month in its time zone) at the default hours, leaving existing rows alone. Idempotent, and
    safe to run twice at once (for beat at each month start). Returns the rows created."""
    if month is not None:
        _require_first_day(month)
    now = timezone.now()
    communities = list(Community.objects.filter(is_active=True))
    wanted = {(c.pk, month or month_of(now, community=c)) for c in communities}
    if not wanted:
        return 0
    existing = set(
        SupportBudget.objects.filter(
            community_id__in={pk for pk, _ in wanted}, month__in={m for _, m in wanted}
        ).values_list("community_id", "month")
    )
    missing = sorted(wanted - existing)
    if not missing:
        return 0
    hours = default_budget_hours()
    SupportBudget.objects.bulk_create(
        [
            SupportBudget(community_id=pk, month=m, hours=hours, note="Default from team capacity")
            for pk, m in missing
        ],
        ignore_conflicts=True,  # a concurrent run created it first: same outcome
    )
    budgets_changed()  # bulk_create sends no signal
    return len(missing)


@transaction.atomic
def budget_set_hours(
    *,
    community: Community,
    month: datetime.date,
    hours: Decimal,
    note: str | None = None,
) -> SupportBudget:
    """Set a community's budget for one month. When that month is the community's current one,
    the priority ranks of its open requests follow at once (an exhausted budget may be topped
    up, or a budget cut may exhaust it)."""
    from tickets.priority import priority_recompute_for_community  # noqa: PLC0415 - upward import: a listed layer exception; tickets.priority imports this module

    _require_first_day(month)
    hours = Decimal(hours)
    if hours < 0:
        raise DomainError(gettext("A budget cannot be negative."), field="hours")
    budget = (
        SupportBudget.objects.select_for_update().filter(community=community, month=month).first()
    )
    if budget is None:
        budget = SupportBudget(community=community, month=month)
    budget.hours = hours
    if note is not None:
        budget.note = note
    budget.save()
    if month == current_month(community=community):
        priority_recompute_for_community(community=community)
    return budget


# ---------------------------------------------------------------------------------------------
# Alerts


def alert_thresholds() -> list[int]:
    """BudgetSettings.alert_thresholds ("80,100") as sorted positive percentages; entries that
    are not whole numbers are ignored rather than breaking every alert."""
    values = set()
    for part in BudgetSettings.load().alert_thresholds.split(","):
        part = part.strip().rstrip("%").strip()
        if part.isdigit() and int(part) > 0:
            values.add(int(part))
    return sorted(values)


def budget_crossings(*, community: Community, month: datetime.date) -> list[int]:
    """The alert thresholds (percent of the budget) that the community's usage in `month` has
    reached, lowest first: [] below the first, [80] at 85%, [80, 100] when exhausted.

    Pure with respect to history: it says where usage stands, not when it got there, so the
    caller claims a notification per (community, month, threshold) to alert once each."""
    status = budget_status(community=community, month=month)
    if status.hours <= 0:
        return alert_thresholds() if status.used > 0 else []
    return [t for t in alert_thresholds() if status.used * 100 >= status.hours * t]
