"""The budget changelist in the Django admin: usage per row in SQL, filters, sorting, the CSV
export and the time entries behind a number."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import SupportBudget
from tests.communities.helpers import JAN_15, log_incident_time, log_time, open_request
from tests.factories import CommunityFactory, SupportBudgetFactory
from tickets.models import SupportRequest

pytestmark = pytest.mark.django_db
JANUARY = date(2026, 1, 1)
CHANGELIST = reverse("admin:communities_supportbudget_changelist")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def budgets(count: int, *, month=JANUARY) -> list[SupportBudget]:
    rows = []
    for i in range(count):
        c = CommunityFactory(slug=f"c{count}-{i}", name=f"Community {count}-{i:02d}")
        rows.append(SupportBudgetFactory(community=c, month=month, hours=Decimal("10")))
        log_time(open_request(c), 60 * (i + 1))
    return rows


@pytest.fixture
def three(db):
    """Alpha at 30%, Beta at 85%, Gamma at 120% of 10 hours in January."""
    rows = {}
    for slug, minutes in [("alpha", 180), ("beta", 510), ("gamma", 720)]:
        c = CommunityFactory(slug=slug, name=slug.title())
        rows[slug] = SupportBudgetFactory(community=c, month=JANUARY, hours=Decimal("10"))
        log_time(open_request(c, subject=f"{slug} work"), minutes)
    return rows


def listed(response) -> list[str]:
    return [b.community.slug for b in response.context["cl"].result_list]


def test_the_changelist_costs_the_same_queries_for_3_or_20_budgets(admin_client):
    rows = budgets(3)
    admin_client.get(CHANGELIST)  # the first request also loads the session and permissions
    with CaptureQueriesContext(connection) as small:
        assert admin_client.get(CHANGELIST).status_code == 200
    SupportBudget.objects.filter(pk__in=[b.pk for b in rows]).delete()
    budgets(20)
    with CaptureQueriesContext(connection) as large:
        response = admin_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 20
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]
    assert len(small) <= 13


def test_each_row_shows_budget_used_remaining_and_a_bar(admin_client, three):
    response = admin_client.get(CHANGELIST)
    html = response.content.decode()
    gamma = next(b for b in response.context["cl"].result_list if b.community.slug == "gamma")
    assert gamma.used_minutes == 720
    assert '<meter min="0" max="100" low="80" high="99" optimum="0" value="100"' in html
    assert "120%" in html
    assert "-2.00" in html  # remaining


def test_incident_time_is_left_out_of_the_changelist(admin_client, three):
    alpha = three["alpha"].community
    log_incident_time(alpha, 600)
    log_time(open_request(alpha, "incident"), 600)
    response = admin_client.get(CHANGELIST)
    row = next(b for b in response.context["cl"].result_list if b.community == alpha)
    assert row.used_minutes == 180


def test_sorting_by_percent_used(admin_client, three):
    # list_display: action checkbox, community, month, hours, used, remaining, percent
    assert listed(admin_client.get(CHANGELIST, {"o": "6"})) == ["alpha", "beta", "gamma"]
    assert listed(admin_client.get(CHANGELIST, {"o": "-6"})) == ["gamma", "beta", "alpha"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"use": "over"}, {"gamma"}),
        ({"use": "high"}, {"beta", "gamma"}),
        ({"use": "low"}, {"alpha"}),
    ],
)
def test_filters_by_use(admin_client, three, query, expected):
    assert set(listed(admin_client.get(CHANGELIST, query))) == expected


def test_filter_by_month(admin_client, three):
    SupportBudgetFactory(community=three["alpha"].community, month=date(2026, 2, 1))
    response = admin_client.get(CHANGELIST, {"month": "2026-02-01"})
    assert [(b.community.slug, b.month) for b in response.context["cl"].result_list] == [
        ("alpha", date(2026, 2, 1))
    ]
    assert "February 2026" in response.content.decode()
    # A broken month parameter is the admin's "invalid filter" redirect, not a 500.
    assert admin_client.get(CHANGELIST, {"month": "soon"}).status_code == 302


def test_exporting_budgets_as_csv(admin_client, three):
    three["alpha"].community.name = "=HYPERLINK(evil)"
    three["alpha"].community.save()
    response = admin_client.post(
        CHANGELIST,
        {
            "action": "export_csv",
            "_selected_action": [three["alpha"].pk, three["gamma"].pk],
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        [
            "community",
            "slug",
            "month",
            "budget_hours",
            "used_hours",
            "remaining_hours",
            "percent_used",
        ],
        ["'=HYPERLINK(evil)", "alpha", "2026-01", "10.00", "3.00", "7.00", "30"],
        ["Gamma", "gamma", "2026-01", "10.00", "12.00", "-2.00", "120"],
    ]


def test_the_change_page_lists_the_time_entries_behind_the_used_hours(admin_client, three):
    budget = three["beta"]
    extra = open_request(budget.community, subject="<b>Bold</b> request")
    log_time(extra, 30, note="checked <script>")
    log_incident_time(budget.community, 45)
    other_month = open_request(budget.community, subject="February work")
    log_time(other_month, 60, at=JAN_15.replace(month=2))
    response = admin_client.get(reverse("admin:communities_supportbudget_change", args=[budget.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    beta_work = SupportRequest.objects.get(subject="beta work")
    assert f">SD-{beta_work.pk}</a> beta work" in html
    assert f">SD-{extra.pk}</a> &lt;b&gt;Bold&lt;/b&gt; request" in html
    assert "checked &lt;script&gt;" in html
    assert "February work" not in html
    assert "9.00 h counted; 0.75 h of incident time recorded, not counted." in html


@time_machine.travel(JAN_15, tick=False)
def test_adding_a_budget_in_the_admin_takes_any_day_and_reranks(admin_client, community):
    support_request = open_request(community)
    log_time(support_request, 120)
    SupportRequest.objects.filter(pk=support_request.pk).update(priority_rank=5)
    add = reverse("admin:communities_supportbudget_add")
    assert admin_client.get(add).context["adminform"].form.initial["hours"] == Decimal("2.88")
    response = admin_client.post(
        add, {"community": community.pk, "month": "2026-01-17", "hours": "1.5", "note": ""}
    )
    assert response.status_code == 302
    budget = SupportBudget.objects.get(community=community)
    assert (budget.month, budget.hours) == (JANUARY, Decimal("1.50"))
    support_request.refresh_from_db()
    assert support_request.priority_rank == 8


@time_machine.travel(JAN_15, tick=False)
def test_editing_hours_in_the_admin_keeps_the_row_and_reranks(admin_client, three):
    budget = three["gamma"]
    support_request = SupportRequest.objects.get(subject="gamma work")
    SupportRequest.objects.filter(pk=support_request.pk).update(priority_rank=8)
    url = reverse("admin:communities_supportbudget_change", args=[budget.pk])
    response = admin_client.post(url, {"hours": "100", "note": "Extra funding"})
    assert response.status_code == 302
    budget.refresh_from_db()
    assert (budget.hours, budget.note) == (Decimal("100.00"), "Extra funding")
    assert SupportBudget.objects.count() == 3
    support_request.refresh_from_db()
    assert support_request.priority_rank == 5
