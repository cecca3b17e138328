"""Database-backed rotation: the roster, the settings row, and who is on duty."""

from __future__ import annotations

import datetime

from django.utils import timezone

from rotation import schedule
from rotation.models import Engineer, RotationSettings


def roster() -> list[Engineer]:
    """Active engineers in rotation order: alphabetical by name (DOMAIN.md)."""
    engineers = Engineer.objects.filter(is_active=True, user__is_active=True).select_related("user")
    return sorted(engineers, key=lambda e: (e.roster_name.casefold(), e.pk))


def stewards_on(day: datetime.date) -> list[Engineer]:
    """The stewards serving on `day`, most senior first ([] before the rotation starts)."""
    config = RotationSettings.load()
    engineers = roster()
    if len(engineers) < config.team_size or day < config.start_date:
        return []
    by_position = list(range(len(engineers)))
    names = [str(i) for i in by_position]
    team = schedule.on_duty(
        day,
        names,
        config.start_date,
        team_size=config.team_size,
        tenure_weeks=config.tenure_weeks,
        shift_weeks=config.shift_weeks,
    )
    return [engineers[int(name)] for name in team]


def current_stewards(*, at: datetime.datetime | None = None) -> list[Engineer]:
    at = at or timezone.now()
    return stewards_on(timezone.localdate(at, timezone=datetime.UTC))


def assignee_for_new_request(*, at: datetime.datetime | None = None):
    """The on-duty steward with fewer open requests; on a tie the more junior one (who joined
    the rotation last and is learning). None when nobody is on duty."""
    from django.db.models import Count, Q

    from accounts.models import User
    from tickets.models import SupportRequest

    stewards = current_stewards(at=at)
    if not stewards:
        return None
    load = dict(
        User.objects.filter(pk__in=[s.user_id for s in stewards])
        .annotate(
            open_count=Count(
                "assigned_requests",
                filter=Q(assigned_requests__status__in=SupportRequest.OPEN_STATUSES),
            )
        )
        .values_list("pk", "open_count")
    )
    # stewards is most senior first, so reversed() puts the junior first for equal loads.
    junior_first = list(reversed(stewards))
    chosen = min(junior_first, key=lambda s: load.get(s.user_id, 0))
    return chosen.user
