"""Budget test helpers: open requests and logged time, built the way tickets.services does
(budget_month from worked_at in the community's time zone; incident work never counts)."""

from __future__ import annotations

from datetime import UTC, datetime

from communities.services import month_of
from tests.factories import IncidentFactory, StaffFactory, SupportRequestFactory
from tickets.models import SupportRequest, TimeEntry

JAN_15 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def open_request(community, category="change", *, subject=None, **kwargs) -> SupportRequest:
    extra = {"subject": subject} if subject else {}
    if category:
        extra.update(status=SupportRequest.Status.TRIAGED, category=category, triaged_at=JAN_15)
    return SupportRequestFactory(community=community, received_at=JAN_15, **{**extra, **kwargs})


def log_time(support_request, minutes, *, at=JAN_15, by=None, note="") -> TimeEntry:
    return TimeEntry.objects.create(
        request=support_request,
        community=support_request.community,
        engineer=by or StaffFactory(),
        minutes=minutes,
        note=note,
        worked_at=at,
        budget_month=month_of(at, community=support_request.community),
        counts_against_budget=support_request.category != SupportRequest.Category.INCIDENT,
    )


def log_incident_time(community, minutes, *, at=JAN_15, by=None) -> TimeEntry:
    return TimeEntry.objects.create(
        incident=IncidentFactory(),
        community=community,
        engineer=by or StaffFactory(),
        minutes=minutes,
        worked_at=at,
        budget_month=month_of(at, community=community),
        counts_against_budget=False,
    )
