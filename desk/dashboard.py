"""The reliability dashboard (staff): the numbers the team watches to see whether alerts catch
outages before communities do, how fast incidents are handled, whether the support objectives
hold, and how each community's budget is used.

Months are calendar months in the reference time zone (slo.CalendarSettings), by the instant
an incident was declared or a request received. Each chart is a `Chart`: an SVG geometry and
the table of the same numbers (shown under the chart and downloadable as CSV). A constant
number of queries, whatever the amount of data."""

from __future__ import annotations

import datetime
import math
import statistics
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone

from communities.models import Community
from communities.services import add_months, budget_statuses
from desk import charts
from incidents.models import Incident
from slo.models import CalendarSettings
from tickets.models import SupportRequest

DETECTION = [
    (Incident.Detection.ALERT, "Monitoring alert"),
    (Incident.Detection.COMMUNITY, "Community report"),
    (Incident.Detection.TEAM, "Noticed by the team"),
]
CATEGORIES = [
    (SupportRequest.Category.INCIDENT, "Incident"),
    (SupportRequest.Category.CHANGE, "Change request"),
    (SupportRequest.Category.GUIDANCE, "Guidance request"),
    (SupportRequest.Category.UNTRIAGED, "Not yet triaged"),
]
NEARLY_EXHAUSTED = 80


@dataclass
class Chart:
    slug: str
    title: str
    description: str
    geometry: charts.ChartGeometry
    columns: list[str]
    rows: list[list]


# --- small pure helpers -----------------------------------------------------------------------


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_list(last: datetime.date, count: int) -> list[datetime.date]:
    return [add_months(last, -n) for n in range(count - 1, -1, -1)]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: list[float]) -> float | None:
    """The 90th percentile by nearest rank: the smallest value at or above 90% of them."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def _minutes(delta: datetime.timedelta) -> float:
    return delta.total_seconds() / 60


def _round(value: float | None, digits: int = 1):
    return None if value is None else round(value, digits)


def _label(month: datetime.date) -> str:
    return f"{month:%b %Y}"


# --- the data ---------------------------------------------------------------------------------


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(CalendarSettings.load().reference_timezone)


def _bounds(months: list[datetime.date], zone) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime.combine(months[0], datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(add_months(months[-1], 1), datetime.time.min, tzinfo=zone)
    return start, end


def incident_charts(*, months: list[datetime.date], zone) -> list[Chart]:
    start, end = _bounds(months, zone)
    rows = Incident.objects.filter(declared_at__gte=start, declared_at__lt=end).values_list(
        "declared_at", "acknowledged_at", "resolved_at", "detected_by"
    )
    counts: dict[datetime.date, dict[str, int]] = {
        m: dict.fromkeys([d for d, _ in DETECTION], 0) for m in months
    }
    ack: dict[datetime.date, list[float]] = defaultdict(list)
    resolve: dict[datetime.date, list[float]] = defaultdict(list)
    for declared, acknowledged, resolved, detected_by in rows:
        month = month_start(declared.astimezone(zone).date())
        if month not in counts:
            continue
        counts[month][detected_by] = counts[month].get(detected_by, 0) + 1
        if acknowledged:
            ack[month].append(_minutes(acknowledged - declared))
        if resolved:
            resolve[month].append(_minutes(resolved - declared))

    labels = [_label(m) for m in months]
    outages = Chart(
        slug="outages",
        title="Outages per month, by how they were detected",
        description="Incidents declared each month. The aim: monitoring alerts catch them "
        "before a community has to report them.",
        geometry=charts.bar_chart(
            categories=labels,
            series=[name for _, name in DETECTION],
            values=[[counts[m][key] for m in months] for key, _ in DETECTION],
            stacked=True,
            fmt=charts.count_label,
        ),
        columns=["Month", *[name for _, name in DETECTION], "Total"],
        rows=[
            [labels[i], *[counts[m][k] for k, _ in DETECTION], sum(counts[m].values())]
            for i, m in enumerate(months)
        ],
    )
    result = [outages]
    for slug, title, samples, what in (
        ("acknowledge", "Time to acknowledge", ack, "acknowledged"),
        ("resolve", "Time to resolve", resolve, "resolved"),
    ):
        med = [_round(median(samples[m])) for m in months]
        high = [_round(p90(samples[m])) for m in months]
        unit, tick_fmt = charts.minutes_axis(max([v for v in med + high if v], default=0))
        result.append(
            Chart(
                slug=slug,
                title=f"{title} (median and 90th percentile)",
                description=f"Minutes from declaring an incident until it was {what}, for the "
                f"incidents declared each month that were {what}.",
                geometry=charts.bar_chart(
                    categories=labels,
                    series=["Median", "90th percentile"],
                    values=[med, high],
                    fmt=charts.minutes_label,
                    tick_fmt=tick_fmt,
                    unit=unit,
                ),
                columns=["Month", f"Incidents {what}", "Median (minutes)", "P90 (minutes)"],
                rows=[[labels[i], len(samples[m]), med[i], high[i]] for i, m in enumerate(months)],
            )
        )
    return result


def _classify(due, done, now, excused: bool = False) -> str | None:
    """met, missed, pending, or excused: missed in or because of reduced capacity (DOMAIN.md),
    counted apart and left out of compliance."""
    if due is None:
        return None
    if done is not None:
        missed = done > due
    elif due <= now:
        missed = True
    else:
        return "pending"
    if not missed:
        return "met"
    return "excused" if excused else "missed"


def slo_charts(*, months: list[datetime.date], zone, now: datetime.datetime) -> list[Chart]:
    start, end = _bounds(months, zone)
    rows = SupportRequest.objects.filter(received_at__gte=start, received_at__lt=end).values_list(
        "received_at",
        "category",
        "triage_due_at",
        "triaged_at",
        "first_response_due_at",
        "first_responded_at",
        "triage_excused",
        "first_response_excused",
    )
    tally: dict[str, dict] = {
        clock: defaultdict(lambda: {"met": 0, "missed": 0, "excused": 0, "pending": 0})
        for clock in ("triage", "first_response")
    }
    for received, category, t_due, t_done, r_due, r_done, t_exc, r_exc in rows:
        month = month_start(received.astimezone(zone).date())
        for clock, due, done, excused in (
            ("triage", t_due, t_done, t_exc),
            ("first_response", r_due, r_done, r_exc),
        ):
            outcome = _classify(due, done, now, excused)
            if outcome:
                tally[clock][(month, category)][outcome] += 1

    def compliance(counts) -> float | None:
        decided = counts["met"] + counts["missed"]
        return _round(100 * counts["met"] / decided) if decided else None

    labels = [_label(m) for m in months]
    result = []
    for clock, slug, what, target in (
        ("triage", "triage", "Triage", "8 working hours"),
        ("first_response", "first-response", "First response", "24 working hours"),
    ):
        data = tally[clock]
        result.append(
            Chart(
                slug=slug,
                title=f"{what} within its objective, by category",
                description=f"Share of the requests received each month whose {what.lower()} "
                f"met its objective (default: {target}). Requests whose clock is still running "
                "are left out until it stops; misses excused by reduced capacity are counted "
                "apart and left out of the share.",
                geometry=charts.bar_chart(
                    categories=labels,
                    series=[name for _, name in CATEGORIES],
                    values=[[compliance(data[(m, key)]) for m in months] for key, _ in CATEGORIES],
                    fmt=charts.percent_label,
                    y_max=100,
                ),
                columns=[
                    "Month",
                    "Category",
                    "Met",
                    "Missed",
                    "Missed (reduced capacity)",
                    "Pending",
                    "Compliance (%)",
                ],
                rows=[
                    [
                        labels[i],
                        name,
                        data[(m, key)]["met"],
                        data[(m, key)]["missed"],
                        data[(m, key)]["excused"],
                        data[(m, key)]["pending"],
                        compliance(data[(m, key)]),
                    ]
                    for i, m in enumerate(months)
                    for key, name in CATEGORIES
                    if any(data[(m, key)].values())
                ],
            )
        )
    return result


def budget_chart(*, month: datetime.date) -> Chart:
    communities = list(Community.objects.filter(is_active=True).order_by("name"))
    statuses = budget_statuses(communities=communities, month=month)
    percents = [statuses[c.pk].percent_used for c in communities]
    classes = [
        2 if statuses[c.pk].exhausted else 1 if p >= NEARLY_EXHAUSTED else 0
        for c, p in zip(communities, percents, strict=True)
    ]
    return Chart(
        slug="budget",
        title=f"Support budget used, {month:%B %Y}",
        description="Hours of non-incident support logged this month against each community's "
        "budget. Incident work never draws on it.",
        geometry=charts.horizontal_bar_chart(
            labels=[c.name for c in communities],
            values=[float(p) for p in percents],
            classes=classes,
            fmt=charts.percent_label,
            x_max=100,
            legend=["Within budget", f"Above {NEARLY_EXHAUSTED}%", "Exhausted"],
        ),
        columns=["Community", "Budget (hours)", "Used (hours)", "Remaining (hours)", "Used (%)"],
        rows=[
            [
                c.name,
                statuses[c.pk].hours,
                statuses[c.pk].used,
                statuses[c.pk].remaining,
                statuses[c.pk].percent_used,
            ]
            for c in communities
        ],
    )


CHART_SLUGS = ("outages", "acknowledge", "resolve", "triage", "first-response", "budget")


def reliability_dashboard(
    *,
    months: int = 12,
    budget_month: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> list[Chart]:
    now = now or timezone.now()
    zone = _zone()
    last = month_start(now.astimezone(zone).date())
    span = month_list(last, months)
    return [
        *incident_charts(months=span, zone=zone),
        *slo_charts(months=span, zone=zone, now=now),
        budget_chart(month=budget_month or last),
    ]
