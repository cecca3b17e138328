"""The budget pages: a representative's own community, staff's view of every community, and
the notice the request form shows when the budget runs out."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse

from communities.models import Membership
from communities.selectors import budget_notice_for
from tests.communities.helpers import log_incident_time, log_time, open_request
from tests.factories import MembershipFactory, SupportBudgetFactory, UserFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
MARCH = date(2026, 3, 1)


@pytest.fixture
def hub_admin(community):
    user = UserFactory(username="hubadmin")
    MembershipFactory(user=user, community=community, role=Membership.Role.HUB_ADMIN)
    return user


@pytest.fixture
def people(rep, other_rep, steward, engineer, admin_user, outsider, hub_admin):
    return {
        "anonymous": None,
        "rep_a": rep,
        "rep_b": other_rep,
        "steward": steward,
        "engineer": engineer,
        "admin": admin_user,
        "outsider": outsider,
        "hub_admin": hub_admin,
    }


def get(client, user, url):
    if user is not None:
        client.force_login(user)
    return client.get(url)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("who", "status", "shows"),
    [
        ("anonymous", 302, None),
        ("rep_a", 200, "Support budget: Alpha Research"),
        ("rep_b", 200, "Support budget: Beta Teaching"),
        ("outsider", 403, None),
        ("hub_admin", 403, None),
        ("steward", 200, "Support budgets this month"),
        ("engineer", 200, "Support budgets this month"),
        ("admin", 200, "Support budgets this month"),
    ],
)
def test_budget_page_shows_each_their_own(client, people, who, status, shows):
    response = get(client, people[who], reverse("communities:budget"))
    assert response.status_code == status
    if shows:
        assert shows in response.content.decode()


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("rep_a", 200),
        ("rep_b", 404),  # another community's budget: as if it did not exist
        ("outsider", 404),
        ("hub_admin", 404),
        ("steward", 200),
        ("engineer", 200),
        ("admin", 200),
    ],
)
def test_a_communitys_budget_page_by_slug(client, people, who, status):
    url = reverse("communities:community_budget", kwargs={"slug": "alpha"})
    assert get(client, people[who], url).status_code == status


def test_staff_get_404_for_an_unknown_community(client, steward):
    client.force_login(steward)
    url = reverse("communities:community_budget", kwargs={"slug": "nope"})
    assert client.get(url).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_a_representative_sees_this_month_and_six_before_with_what_was_spent(
    client, rep, community, other_community, ten_hour_default
):
    SupportBudgetFactory(community=community, month=MARCH, hours=Decimal("20"))
    upgrade = open_request(community, subject="Upgrade JupyterLab")
    log_time(upgrade, 90, at=NOW)
    log_time(upgrade, 30, at=NOW)
    log_time(
        open_request(community, subject="Old question"), 45, at=datetime(2025, 9, 3, tzinfo=UTC)
    )
    log_time(open_request(community, subject="Too old"), 45, at=datetime(2025, 8, 30, tzinfo=UTC))
    log_time(open_request(community, "incident", subject="Outage"), 300, at=NOW)
    log_incident_time(community, 300, at=NOW)
    log_time(open_request(other_community, subject="Beta secret"), 60, at=NOW)

    client.force_login(rep)
    response = client.get(reverse("communities:budget"))
    html = response.content.decode()
    current, previous = response.context["current"], response.context["previous"]
    assert (current.month, current.status.hours, current.status.used) == (
        MARCH,
        Decimal("20"),
        Decimal("2.00"),
    )
    assert [(s.reference, s.hours) for s in current.spent] == [
        (f"SD-{upgrade.pk}", Decimal("2.00"))
    ]
    assert [p.month for p in previous] == [
        date(2026, 2, 1),
        date(2026, 1, 1),
        date(2025, 12, 1),
        date(2025, 11, 1),
        date(2025, 10, 1),
        date(2025, 9, 1),
    ]
    september = previous[-1]
    assert september.status.hours == ten_hour_default
    assert [s.subject for s in september.spent] == ["Old question"]
    assert f"SD-{upgrade.pk}" in html and "Upgrade JupyterLab" in html
    for hidden in ("Too old", "Outage", "Beta secret"):
        assert hidden not in html


@time_machine.travel(NOW, tick=False)
def test_the_budget_page_costs_the_same_queries_however_much_was_logged(
    client, rep, community, django_assert_max_num_queries
):
    for i in range(15):
        log_time(open_request(community), 30 + i, at=NOW)
    client.force_login(rep)
    client.get(reverse("communities:budget"))
    with django_assert_max_num_queries(8):
        client.get(reverse("communities:budget"))


@time_machine.travel(NOW, tick=False)
def test_staff_overview_lists_every_active_community_fullest_first(
    client, steward, community, other_community, ten_hour_default
):
    log_time(open_request(other_community), 9 * 60, at=NOW)
    client.force_login(steward)
    response = client.get(reverse("communities:budget"))
    assert [c.slug for c, _ in response.context["rows"]] == ["beta", "alpha"]
    assert reverse("communities:community_budget", kwargs={"slug": "beta"}) in (
        response.content.decode()
    )


# ---------------------------------------------------------------------------------------------
# The request form's notice


@time_machine.travel(NOW, tick=False)
def test_no_notice_while_plenty_of_budget_is_left(community, ten_hour_default):
    log_time(open_request(community), 7 * 60, at=NOW)
    assert budget_notice_for(community=community) is None


@time_machine.travel(NOW, tick=False)
def test_a_nearly_used_budget_is_a_warning(community, ten_hour_default):
    log_time(open_request(community), 9 * 60, at=NOW)
    notice = budget_notice_for(community=community)
    assert "90%" in notice and "1.00 of 10.00 hours left" in notice


@time_machine.travel(NOW, tick=False)
def test_an_exhausted_budget_explains_what_it_means_for_priority(community, ten_hour_default):
    log_time(open_request(community), 10 * 60, at=NOW)
    notice = budget_notice_for(community=community)
    assert "has used its support budget for March 2026" in notice
    assert "bottom of the priority order" in notice
    assert "1 April 2026" in notice
    assert "dedicated funding" in notice
    assert "Incidents are not affected" in notice


@time_machine.travel(NOW, tick=False)
def test_the_notice_include_renders_only_a_notice(community, ten_hour_default):
    template = "communities/includes/budget_notice.html"
    assert render_to_string(template, {"budget_notice": None}).strip() == ""
    html = render_to_string(template, {"budget_notice": "Budget <used> up"})
    assert 'id="budget-notice"' in html and "Budget &lt;used&gt; up" in html


@time_machine.travel(NOW, tick=False)
def test_the_budget_page_shows_the_notice_when_exhausted(client, rep, community, ten_hour_default):
    log_time(open_request(community), 11 * 60, at=NOW)
    client.force_login(rep)
    html = client.get(reverse("communities:budget")).content.decode()
    assert 'id="budget-notice"' in html
    assert "over by 1" in html
