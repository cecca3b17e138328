"""The reliability dashboard against a known dataset (now: Tuesday 24 Nov 2026; three months
shown: Sep, Oct, Nov 2026)."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from desk import dashboard
from desk.charts import minutes_axis, nice_axis, nice_max
from incidents.models import Incident
from tests.factories import IncidentFactory, SupportBudgetFactory, SupportRequestFactory
from tickets.models import TimeEntry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday")]

UTC = datetime.UTC
MIN = datetime.timedelta(minutes=1)


def incident(declared, *, detected_by, ack=None, resolve=None):
    fields = {
        "declared_at": declared,
        "impact_started_at": declared,
        "detected_by": detected_by,
        "state": "triggered",
    }
    if ack is not None:
        fields.update(state="acknowledged", acknowledged_at=declared + ack * MIN)
    if resolve is not None:
        end = declared + resolve * MIN
        fields.update(state="resolved", resolved_at=end, impact_ended_at=end)
    return IncidentFactory(**fields)


@pytest.fixture
def incidents(db):
    oct_ = datetime.datetime(2026, 10, 6, 12, tzinfo=UTC)
    nov = datetime.datetime(2026, 11, 3, 12, tzinfo=UTC)
    incident(oct_, detected_by="alert", ack=10, resolve=60)
    incident(oct_, detected_by="alert", ack=20, resolve=120)
    incident(oct_, detected_by="community", ack=60, resolve=240)
    incident(nov, detected_by="alert", ack=5, resolve=30)
    incident(nov, detected_by="team", ack=15)
    incident(datetime.datetime(2026, 8, 31, 23, tzinfo=UTC), detected_by="alert")  # too early


def request(community, received, category, *, triage, respond, triage_due=8, respond_due=24):
    """A request received at `received` whose clocks were due `triage_due`/`respond_due` hours
    later and stopped after `triage`/`respond` hours (None: still running)."""
    hours = datetime.timedelta(hours=1)
    return SupportRequestFactory(
        community=community,
        received_at=received,
        category=category,
        status="triaged" if category else "new",
        triage_due_at=received + triage_due * hours,
        triaged_at=received + triage * hours if triage is not None else None,
        first_response_due_at=received + respond_due * hours,
        first_responded_at=received + respond * hours if respond is not None else None,
    )


@pytest.fixture
def requests(community):
    oct_ = datetime.datetime(2026, 10, 13, 9, tzinfo=UTC)
    request(community, oct_, "change", triage=2, respond=30)  # triage met, response missed
    request(community, oct_, "change", triage=9, respond=20)  # triage missed, response met
    request(community, oct_, "guidance", triage=1, respond=3)  # both met
    # November: one never triaged and long overdue; one triaged, its response clock running.
    request(community, datetime.datetime(2026, 11, 2, 9, tzinfo=UTC), "", triage=None, respond=None)
    request(
        community,
        datetime.datetime(2026, 11, 24, 9, tzinfo=UTC),
        "guidance",
        triage=1,
        respond=None,
    )


def charts(**kwargs) -> dict[str, dashboard.Chart]:
    return {c.slug: c for c in dashboard.reliability_dashboard(months=3, **kwargs)}


def test_outages_per_month_by_detection_source(incidents):
    chart = charts()["outages"]

    assert chart.columns == [
        "Month",
        "Monitoring alert",
        "Community report",
        "Noticed by the team",
        "Total",
    ]
    assert chart.rows == [
        ["Sep 2026", 0, 0, 0, 0],
        ["Oct 2026", 2, 1, 0, 3],
        ["Nov 2026", 1, 0, 1, 2],
    ]
    # Stacked bars: Oct has two segments (alert, community), Nov two (alert, team).
    assert len(chart.geometry.bars) == 4


def test_time_to_acknowledge_median_and_p90(incidents):
    assert charts()["acknowledge"].rows == [
        ["Sep 2026", 0, None, None],
        ["Oct 2026", 3, 20.0, 60.0],
        ["Nov 2026", 2, 10.0, 15.0],
    ]


def test_time_to_resolve_median_and_p90(incidents):
    assert charts()["resolve"].rows == [
        ["Sep 2026", 0, None, None],
        ["Oct 2026", 3, 120.0, 240.0],
        ["Nov 2026", 1, 30.0, 30.0],
    ]


def test_p90_is_nearest_rank():
    values = list(range(1, 11))  # 1..10
    assert dashboard.p90(values) == 9
    assert dashboard.p90([5]) == 5
    assert dashboard.median([1, 2, 3, 10]) == 2.5
    assert dashboard.p90([]) is None


def test_triage_compliance_per_month_and_category(requests):
    # The "Missed (reduced capacity)" column is new (DOMAIN.md, 2026-12-01): 0 here.
    assert charts()["triage"].rows == [
        ["Oct 2026", "Change request", 1, 1, 0, 0, 50.0],
        ["Oct 2026", "Guidance request", 1, 0, 0, 0, 100.0],
        ["Nov 2026", "Guidance request", 1, 0, 0, 0, 100.0],
        ["Nov 2026", "Not yet triaged", 0, 1, 0, 0, 0.0],
    ]


def test_a_miss_excused_by_reduced_capacity_is_counted_apart(requests):
    from tickets.models import SupportRequest

    untriaged = SupportRequest.objects.filter(category="", received_at__month=11)
    assert untriaged.count() == 1
    untriaged.update(triage_excused=True)
    rows = charts()["triage"].rows
    assert ["Nov 2026", "Not yet triaged", 0, 0, 1, 0, None] in rows


def test_first_response_compliance_per_month_and_category(requests):
    assert charts()["first-response"].rows == [
        ["Oct 2026", "Change request", 1, 1, 0, 0, 50.0],
        ["Oct 2026", "Guidance request", 1, 0, 0, 0, 100.0],
        ["Nov 2026", "Guidance request", 0, 0, 0, 1, None],
        ["Nov 2026", "Not yet triaged", 0, 1, 0, 0, 0.0],
    ]


def test_budget_use_per_community(community, other_community, requests, steward):
    month = datetime.date(2026, 11, 1)
    SupportBudgetFactory(community=community, month=month, hours=Decimal("10"))
    support_request = community.requests.filter(category="change").first()
    for minutes in (300, 180):
        TimeEntry.objects.create(
            request=support_request,
            community=community,
            engineer=steward,
            minutes=minutes,
            worked_at=datetime.datetime(2026, 11, 10, tzinfo=UTC),
            budget_month=month,
            counts_against_budget=True,
        )
    TimeEntry.objects.create(  # incident work never counts
        incident=IncidentFactory(),
        community=community,
        engineer=steward,
        minutes=600,
        worked_at=datetime.datetime(2026, 11, 10, tzinfo=UTC),
        budget_month=month,
        counts_against_budget=False,
    )

    chart = charts()["budget"]

    assert chart.rows[0] == [
        "Alpha Research",
        Decimal("10"),
        Decimal("8.00"),
        Decimal("2.00"),
        80,
    ]
    assert chart.rows[1][0] == "Beta Teaching" and chart.rows[1][2:] == [
        Decimal("0.00"),
        chart.rows[1][1],
        0,
    ]
    assert [b.series for b in chart.geometry.bars] == [1, 0]  # 80%: "above 80%" colour


def test_budget_month_can_be_chosen(community, steward):
    SupportBudgetFactory(community=community, month=datetime.date(2026, 9, 1), hours=Decimal(4))

    chart = charts(budget_month=datetime.date(2026, 9, 1))["budget"]

    assert chart.title == "Support budget used, September 2026"
    assert chart.rows[0][1] == Decimal("4.00")


def test_nice_axis_maximum():
    assert [nice_max(v) for v in (0, 3, 7, 12, 180, 240)] == [1, 5, 10, 20, 200, 250]
    # Four round steps: counts 0-1-2-3-4, minutes in whole hours once long.
    assert nice_axis(3) == 4
    assert nice_axis(7) == 8
    assert nice_axis(240, unit=60) == 240
    unit, fmt = minutes_axis(240)
    assert unit == 60 and fmt(180) == "3 h"


def test_axis_ticks_of_the_outage_chart_are_whole_numbers(incidents):
    labels = [t.label for t in charts()["outages"].geometry.y_ticks]
    assert labels == ["0", "1", "2", "3", "4"]


# --- the page ---------------------------------------------------------------------------------


def test_dashboard_page_renders_every_chart_with_a_table(client, steward, incidents, requests):
    client.force_login(steward)

    response = client.get(reverse("desk:reliability"), {"months": 3})

    assert response.status_code == 200
    page = response.content.decode()
    for slug in dashboard.CHART_SLUGS:
        assert f'id="{slug}"' in page
        assert f'id="{slug}-table"' in page
        assert f"?chart={slug}&amp;format=csv" in page
    assert "<svg" in page and 'role="img"' in page
    assert "Oct 2026, Monitoring alert: 2" in page  # a bar's title


def test_csv_download_of_one_chart(client, steward, incidents):
    client.force_login(steward)

    response = client.get(
        reverse("desk:reliability"), {"chart": "outages", "format": "csv", "months": 3}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="reliability-outages.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Month" and rows[2] == ["Oct 2026", "2", "1", "0", "3"]


def test_csv_defuses_spreadsheet_formulas(client, steward, community):
    community.name = "=HYPERLINK(evil)"
    community.save()
    client.force_login(steward)

    response = client.get(reverse("desk:reliability"), {"chart": "budget", "format": "csv"})

    assert "'=HYPERLINK(evil)" in response.content.decode()


def test_csv_of_unknown_chart_is_404(client, steward):
    client.force_login(steward)

    response = client.get(reverse("desk:reliability"), {"chart": "x", "format": "csv"})

    assert response.status_code == 404


def test_dashboard_query_count_is_constant(
    client, steward, community, incidents, requests, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(steward)
    url = reverse("desk:reliability")
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for day in range(1, 20):
        incident(datetime.datetime(2026, 10, day, tzinfo=UTC), detected_by="alert", ack=3)
        request(
            community, datetime.datetime(2026, 10, day, tzinfo=UTC), "change", triage=1, respond=1
        )

    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)
    assert Incident.objects.count() > 20
