"""Pages of the top layer: each person's starting page, and the reliability dashboard (it reads
incidents, requests and budgets at once: desk/dashboard.py)."""

from __future__ import annotations

import csv
import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.decorators import staff_required
from accounts.roles import is_staff_member, representative_community
from desk import dashboard
from supportdesk.replica import replica_reads


@login_required
def home(request):
    """Each person's starting page: the queue for staff, a representative's requests, else the
    status page."""
    if is_staff_member(request.user):
        return redirect("tickets:queue")
    if representative_community(request.user):
        return redirect("tickets:my_requests")
    return redirect("availability:status")


# --- staff: reliability dashboard -------------------------------------------------------------


def _int(value, default: int, lo: int, hi: int) -> int:
    try:
        return min(max(int(value), lo), hi)
    except (TypeError, ValueError):
        return default


def _month(value: str | None) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return None


def _csv_cell(value) -> str:
    text = "" if value is None else str(value)
    # A cell a spreadsheet would read as a formula is defused.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@staff_required
@require_GET
def reliability(request):
    months = _int(request.GET.get("months"), 12, 1, 36)
    budget_month = _month(request.GET.get("month"))
    chart_slug = request.GET.get("chart", "")
    wants_csv = request.GET.get("format") == "csv"
    if wants_csv and chart_slug not in dashboard.CHART_SLUGS:
        raise Http404("No such chart.")
    with replica_reads():  # slightly stale numbers are fine here (DATABASE_REPLICA_URL)
        charts = dashboard.reliability_dashboard(months=months, budget_month=budget_month)
    if wants_csv:
        chart = next(c for c in charts if c.slug == chart_slug)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="reliability-{chart.slug}.csv"'
        writer = csv.writer(response)
        writer.writerow(chart.columns)
        for row in chart.rows:
            writer.writerow([_csv_cell(v) for v in row])
        return response
    return render(
        request,
        "desk/reliability.html",
        {
            "charts": charts,
            "months": months,
            "budget_month": budget_month,
            "month_choices": (3, 6, 12, 24, 36),
        },
    )
