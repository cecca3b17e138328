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
