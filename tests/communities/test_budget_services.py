"""Support budgets: the default from team capacity, usage without incidents, months in the
community's time zone, ensuring rows each month, editing, and alert thresholds."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from communities.models import BudgetSettings, SupportBudget
from communities.services import (
    add_months,
    budget_crossings,
    budget_ensure_month,
    budget_hours,
    budget_set_hours,
    budget_status,
    budget_statuses,
    default_budget_hours,
    month_of,
    used_hours,
)
from supportdesk.errors import DomainError
from tests.communities.helpers import JAN_15, log_incident_time, log_time, open_request
from tests.factories import CommunityFactory, SupportBudgetFactory
from tickets.models import SupportRequest

pytestmark = pytest.mark.django_db
JANUARY = date(2026, 1, 1)

# ---------------------------------------------------------------------------------------------
# The default: the team's support hours divided among the communities it serves


def test_default_budget_is_a_fifth_of_an_engineers_month_over_twelve_communities():
    # 173 h x 20% = 34.6 h of support per engineer, shared by 12 communities.
    assert default_budget_hours() == Decimal("2.88")


@pytest.mark.parametrize(
    ("communities_per_engineer", "hours"),
    # 34.6 / 8 = 4.325: the model quantizes half-to-even.
    [(8, Decimal("4.32")), (20, Decimal("1.73")), (1, Decimal("34.60"))],
)
def test_default_budget_follows_how_many_communities_an_engineer_serves(
    communities_per_engineer, hours
):
    config = BudgetSettings.load()
    config.communities_per_engineer = communities_per_engineer
    config.save()
    assert default_budget_hours() == hours


def test_default_budget_follows_hours_and_support_share():
    config = BudgetSettings.load()
    config.hours_per_engineer_month = Decimal("160")
    config.support_share_percent = 25
    config.communities_per_engineer = 10
    config.save()
    assert default_budget_hours() == Decimal("4.00")


def test_a_month_without_its_own_budget_uses_the_default(community, ten_hour_default):
    assert budget_hours(community=community, month=JANUARY) == ten_hour_default


def test_a_budget_set_for_a_month_overrides_the_default(community, ten_hour_default):
    SupportBudgetFactory(community=community, month=JANUARY, hours=Decimal("25"))
    assert budget_hours(community=community, month=JANUARY) == Decimal("25")
    assert budget_hours(community=community, month=date(2026, 2, 1)) == ten_hour_default


# ---------------------------------------------------------------------------------------------
# Usage


def test_usage_is_time_on_change_and_guidance_requests(community):
    log_time(open_request(community, "change"), 90)
    log_time(open_request(community, "guidance"), 30)
    log_time(open_request(community, category=""), 15)  # not yet triaged: counts for now
    assert used_hours(community=community, month=JANUARY) == Decimal("2.25")


def test_incident_time_is_recorded_but_never_counted(community):
    log_time(open_request(community, "change"), 60)
    log_time(open_request(community, "incident"), 120)
    log_incident_time(community, 240)
    assert used_hours(community=community, month=JANUARY) == Decimal("1.00")


def test_time_logged_before_a_request_became_an_incident_stops_counting(community):
    support_request = open_request(community, "change")
    log_time(support_request, 60)  # stored as counting
    SupportRequest.objects.filter(pk=support_request.pk).update(category="incident")
    assert used_hours(community=community, month=JANUARY) == Decimal("0.00")


def test_usage_is_per_community_and_month(community, other_community):
    log_time(open_request(community), 60)
    log_time(open_request(community), 60, at=datetime(2026, 2, 3, tzinfo=UTC))
    log_time(open_request(other_community), 600)
    assert used_hours(community=community, month=JANUARY) == Decimal("1.00")
    assert used_hours(community=community, month=date(2026, 2, 1)) == Decimal("1.00")


def test_status_adds_up(community, ten_hour_default):
    log_time(open_request(community), 8 * 60 + 30)
    status = budget_status(community=community, month=JANUARY)
    assert (status.hours, status.used, status.remaining) == (
        Decimal("10.00"),
        Decimal("8.50"),
        Decimal("1.50"),
    )
    assert status.percent_used == 85
    assert status.nearly_exhausted and not status.exhausted
    assert status.overrun == 0


def test_the_status_shows_hours_to_the_hundredth_as_stored(community, ten_hour_default):
    """Hours are shown as "12.30 h" and "10.00 h" on every database, never "12.3000000000000"."""
    SupportBudgetFactory(community=community, month=JANUARY, hours=Decimal("12.3"))
    assert str(budget_status(community=community, month=JANUARY).hours) == "12.30"
    february = date(2026, 2, 1)  # no row: the default
    assert str(budget_status(community=community, month=february).hours) == "10.00"
    assert str(budget_status(community=community, month=february).used) == "0.00"


def test_a_budget_used_past_its_hours_is_exhausted_with_an_overrun(community, ten_hour_default):
    log_time(open_request(community), 11 * 60)
    status = budget_status(community=community, month=JANUARY)
    assert status.exhausted and not status.nearly_exhausted
    assert status.overrun == Decimal("1.00")
    assert status.bar_percent == 100 and status.percent_used == 110


# ---------------------------------------------------------------------------------------------
# Months in the community's time zone

LAST_NIGHT_OF_JANUARY_UTC = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)


def test_time_logged_on_the_last_utc_evening_of_january_is_february_in_auckland():
    auckland = CommunityFactory(slug="nz", timezone="Pacific/Auckland")
    assert month_of(LAST_NIGHT_OF_JANUARY_UTC, community=auckland) == date(2026, 2, 1)


def test_time_logged_on_the_first_utc_morning_of_february_is_january_in_honolulu():
    honolulu = CommunityFactory(slug="hi", timezone="Pacific/Honolulu")
    at = datetime(2026, 2, 1, 5, 0, tzinfo=UTC)  # 19:00 on 31 January in Hawaii
    assert month_of(at, community=honolulu) == JANUARY


@time_machine.travel(LAST_NIGHT_OF_JANUARY_UTC, tick=False)
def test_an_auckland_community_is_already_spending_its_february_budget(community):
    auckland = CommunityFactory(slug="nz", timezone="Pacific/Auckland")
    log_time(open_request(auckland), 60, at=LAST_NIGHT_OF_JANUARY_UTC)
    log_time(open_request(community), 60, at=LAST_NIGHT_OF_JANUARY_UTC)

    nz_now = budget_status(community=auckland)
    assert (nz_now.month, nz_now.used) == (date(2026, 2, 1), Decimal("1.00"))
    assert used_hours(community=auckland, month=JANUARY) == 0

    utc_now = budget_status(community=community)
    assert (utc_now.month, utc_now.used) == (JANUARY, Decimal("1.00"))

    both = budget_statuses(communities=[auckland, community])
    assert both[auckland.pk].month == date(2026, 2, 1)
    assert both[community.pk].month == JANUARY


@pytest.mark.parametrize(
    ("month", "count", "expected"),
    [
        (date(2026, 1, 1), -1, date(2025, 12, 1)),
        (date(2026, 1, 1), -6, date(2025, 7, 1)),
        (date(2026, 11, 1), 2, date(2027, 1, 1)),
        (date(2026, 3, 1), 0, date(2026, 3, 1)),
    ],
)
def test_months_count_across_years(month, count, expected):
    assert add_months(month, count) == expected


def test_statuses_of_many_communities_take_two_queries(django_assert_num_queries, ten_hour_default):
    """One query for the month (budget rows and usage in subqueries), one for the default."""
    communities = [CommunityFactory() for _ in range(8)]
    for c in communities[:4]:
        SupportBudgetFactory(community=c, month=JANUARY, hours=Decimal("20"))
        log_time(open_request(c), 60)
    with django_assert_num_queries(2):
        statuses = budget_statuses(communities=communities, month=JANUARY)
    assert statuses[communities[0].pk].hours == Decimal("20")
    assert statuses[communities[0].pk].used == Decimal("1.00")
    assert statuses[communities[7].pk].hours == ten_hour_default


# ---------------------------------------------------------------------------------------------
# Rows for every community each month (beat)


@time_machine.travel(JAN_15, tick=False)
def test_each_active_community_gets_a_default_budget_row_once(
    community, other_community, ten_hour_default
):
    CommunityFactory(slug="gone", is_active=False)
    SupportBudgetFactory(community=other_community, month=JANUARY, hours=Decimal("40"))
    assert budget_ensure_month() == 1
    assert budget_ensure_month() == 0
    rows = {b.community.slug: b.hours for b in SupportBudget.objects.filter(month=JANUARY)}
    assert rows == {"alpha": ten_hour_default, "beta": Decimal("40")}


@time_machine.travel(LAST_NIGHT_OF_JANUARY_UTC, tick=False)
def test_each_community_gets_the_row_of_its_own_month(community):
    auckland = CommunityFactory(slug="nz", timezone="Pacific/Auckland")
    budget_ensure_month()
    assert SupportBudget.objects.get(community=auckland).month == date(2026, 2, 1)
    assert SupportBudget.objects.get(community=community).month == JANUARY


def test_ensuring_a_named_month(community):
    assert budget_ensure_month(month=date(2026, 5, 1)) == 1
    assert SupportBudget.objects.get(community=community).month == date(2026, 5, 1)
    with pytest.raises(DomainError):
        budget_ensure_month(month=date(2026, 5, 2))


# ---------------------------------------------------------------------------------------------
# Editing


@time_machine.travel(JAN_15, tick=False)
def test_setting_a_budget_creates_or_updates_the_months_row(community):
    budget_set_hours(community=community, month=JANUARY, hours=Decimal("12"), note="Grant")
    budget_set_hours(community=community, month=JANUARY, hours=Decimal("14"))
    budget = SupportBudget.objects.get(community=community, month=JANUARY)
    assert (budget.hours, budget.note) == (Decimal("14"), "Grant")


@pytest.mark.parametrize(
    ("month", "hours", "field"),
    [(date(2026, 1, 2), Decimal("5"), "month"), (JANUARY, Decimal("-1"), "hours")],
)
def test_a_budget_needs_a_month_and_hours_that_make_sense(community, month, hours, field):
    with pytest.raises(DomainError) as error:
        budget_set_hours(community=community, month=month, hours=hours)
    assert error.value.field == field


@time_machine.travel(JAN_15, tick=False)
def test_topping_up_an_exhausted_budget_lifts_the_communitys_requests(community):
    support_request = open_request(community)
    SupportBudgetFactory(community=community, month=JANUARY, hours=Decimal("1"))
    log_time(support_request, 90)
    SupportRequest.objects.filter(pk=support_request.pk).update(priority_rank=8)
    budget_set_hours(community=community, month=JANUARY, hours=Decimal("10"))
    support_request.refresh_from_db()
    assert support_request.priority_rank == 5


# ---------------------------------------------------------------------------------------------
# Alert thresholds (for the automation's budget alerts)


@pytest.mark.parametrize(
    ("minutes", "crossed"),
    [
        (0, []),
        (7 * 60, []),
        (8 * 60 - 1, []),
        (8 * 60, [80]),
        (9 * 60, [80]),
        (10 * 60, [80, 100]),
        (15 * 60, [80, 100]),
    ],
)
def test_crossings_name_the_thresholds_reached(community, ten_hour_default, minutes, crossed):
    if minutes:
        log_time(open_request(community), minutes)
    assert budget_crossings(community=community, month=JANUARY) == crossed


def test_thresholds_come_from_the_settings_and_tolerate_typos(community, ten_hour_default):
    config = BudgetSettings.load()
    config.alert_thresholds = "90, 50%, x, 0,"
    config.save()
    log_time(open_request(community), 6 * 60)
    assert budget_crossings(community=community, month=JANUARY) == [50]


def test_a_zero_budget_is_crossed_by_any_use(community):
    SupportBudgetFactory(community=community, month=JANUARY, hours=Decimal("0"))
    assert budget_crossings(community=community, month=JANUARY) == []
    log_time(open_request(community), 1)
    assert budget_crossings(community=community, month=JANUARY) == [80, 100]


def test_incident_time_never_crosses_a_threshold(community, ten_hour_default):
    log_incident_time(community, 20 * 60)
    assert budget_crossings(community=community, month=JANUARY) == []
